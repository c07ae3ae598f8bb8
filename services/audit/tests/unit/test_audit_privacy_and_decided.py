"""Requester data never reaches the record; decided_by names the deciding versions; months by counts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from audit.domain.decided import decided_by
from audit.domain.monthly import CaseCountRow, analysis_from_counts, month_range, monthly_analysis
from audit.domain.privacy import strip_personal


def test_requester_fields_are_stripped_at_any_depth():
    payload = {
        "category": "noise",
        "requester": {"name": "张*", "phone": "138****5678"},
        "items": [{"phone": "1", "kind": "a"}],
        "extra": {"id_number": "x", "keep": 1},
    }
    assert strip_personal(payload) == {"category": "noise", "items": [{"kind": "a"}], "extra": {"keep": 1}}


@given(st.dictionaries(st.sampled_from(["requester", "phone", "a", "b"]), st.integers()))
def test_no_stripped_payload_keeps_a_personal_key(payload):
    assert not {"requester", "phone"} & set(strip_personal(payload))


def test_a_dispatch_is_decided_by_its_routing_version_and_rule():
    assert decided_by("CaseDispatched", {"routing_version": 12, "rule_id": "r-17"}) == "routing_version=12;rule_id=r-17"


def test_clock_updates_name_every_policy_version_of_their_clocks():
    clocks = {"clocks": [{"policy_version": 3}, {"policy_version": 2}, {"policy_version": 3}]}
    assert decided_by("ClocksUpdated", clocks) == "policy_version=2,3"


def test_an_event_no_rule_decides_has_no_decided_by():
    assert decided_by("CaseAccepted", {"unit": "U1"}) is None
    assert decided_by("SupervisionActionIssued", {"policy_version": None}) is None


def test_a_month_starts_at_midnight_in_the_city():
    assert month_range("2026-03") == (datetime(2026, 2, 28, 16, tzinfo=UTC), datetime(2026, 3, 31, 16, tzinfo=UTC))


def test_counts_give_the_same_analysis_as_rows():
    rows = [
        CaseCountRow("noise", "D1", datetime(2026, 3, 2, tzinfo=UTC)),
        CaseCountRow("noise", "D1", datetime(2026, 2, 2, tzinfo=UTC)),
        CaseCountRow("road", "D2", datetime(2026, 3, 5, tzinfo=UTC)),
    ]
    by_counts = analysis_from_counts(
        "2026-03", Counter({("noise", "D1"): 1, ("road", "D2"): 1}), Counter({("noise", "D1"): 1})
    )
    assert monthly_analysis(rows, "2026-03") == by_counts
