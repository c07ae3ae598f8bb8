"""The directory as a log of dated changes (GZ Art. 5; SZ Art. 8): what is in force when, and which changes the
timeline refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.domain import UnknownRegion
from dispatch.domain.directory_log import (
    ChangeOp,
    DirectoryChange,
    DirectoryConflict,
    EntryNotFound,
    check_timeline,
    included,
    replay,
)

T0 = datetime(2026, 11, 20, tzinfo=UTC)
SEED = DirectoryChange(
    1,
    ChangeOp.SEED,
    "",
    T0,
    {
        "regions": [
            {"code": "440100", "name": "广州市", "level": "city", "parent": None},
            {"code": "440106", "name": "天河区", "level": "district", "parent": "440100"},
        ],
        "units": [
            {"code": "GZ-PA", "name": "市平安办", "level": "city", "kind": "coordination", "region": "440100"},
            {"code": "GZ-TH-HJ", "name": "天河生态", "level": "district", "kind": "ecology", "region": "440106"},
        ],
    },
)


def _change(version: int, op: ChangeOp, code: str, days: float = 0, **data: object) -> DirectoryChange:
    return DirectoryChange(version, op, code, T0 + timedelta(days=days), data)


def test_a_change_dated_ahead_is_in_force_only_from_its_date_and_version_keeps_what_was_recorded():
    log = [SEED, _change(2, ChangeOp.RENAME_UNIT, "GZ-TH-HJ", days=3, name="天河区生态环境局")]
    assert replay(included(log, as_of=T0 + timedelta(days=1), up_to=None)).units["GZ-TH-HJ"]["name"] == "天河生态"
    assert (
        replay(included(log, as_of=T0 + timedelta(days=3), up_to=None)).units["GZ-TH-HJ"]["name"] == "天河区生态环境局"
    )
    assert replay(included(log, as_of=T0 + timedelta(days=9), up_to=1)).units["GZ-TH-HJ"]["name"] == "天河生态"


def test_a_change_recorded_later_but_dated_earlier_cannot_break_a_pending_one():
    street = _change(2, ChangeOp.ADD_REGION, "440106001", days=1, name="五山街道", parent="440106")
    office = _change(
        3, ChangeOp.ADD_UNIT, "GZ-TH-001-JD", days=5, name="五山街道办", level="street", kind="street_office",
        region="440106001",
    )  # fmt: skip
    retire = _change(4, ChangeOp.RETIRE_REGION, "440106001", days=2)
    with pytest.raises(DirectoryConflict, match="break version 3"):
        check_timeline([SEED, street, office], retire)
    # The office cannot be dated before its street exists.
    early = DirectoryChange(3, office.op, office.code, T0, office.data)
    with pytest.raises(UnknownRegion):
        check_timeline([SEED, street], early)


def test_codes_are_never_reused_and_a_retired_unit_keeps_its_name_for_the_record():
    retire = _change(2, ChangeOp.RETIRE_UNIT, "GZ-TH-HJ", reason="机构改革")
    state = check_timeline([SEED], retire)
    assert "GZ-TH-HJ" not in state.units and state.retired_units["GZ-TH-HJ"]["name"] == "天河生态"
    again = _change(3, ChangeOp.ADD_UNIT, "GZ-TH-HJ", name="x", level="district", kind="ecology", region="440106")
    with pytest.raises(DirectoryConflict, match="not reused"):
        check_timeline([SEED, retire], again)
    with pytest.raises(EntryNotFound, match="retired"):
        check_timeline([SEED, retire], _change(3, ChangeOp.RENAME_UNIT, "GZ-TH-HJ", name="y"))


def test_the_citys_only_coordination_institution_and_a_region_in_use_cannot_be_retired():
    with pytest.raises(DirectoryConflict, match="successor"):
        check_timeline([SEED], _change(2, ChangeOp.RETIRE_UNIT, "GZ-PA", reason="x"))
    with pytest.raises(DirectoryConflict) as refused:
        check_timeline([SEED], _change(2, ChangeOp.RETIRE_REGION, "440106"))
    assert refused.value.details == ["unit GZ-TH-HJ serves it"]
