"""Reports that arrive together are written in one transaction (group commit) and answered as if each had its own:
numbers, repeats among them, resubmissions and conflicts. Against the real broker and both databases."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from caseflow_common.auth import Role
from caseflow_common.contracts.intake import Channel
from caseflow_common.testing import auth_header
from intake import commands
from intake.domain.errors import ExternalIdConflict
from intake.domain.reports import HotlineReportIn
from intake.orm import case_status, case_steps, cases, outbox, requesters

from .conftest import GRID_POINT, SYSTEM

HOTLINE = auth_header(Role.HOTLINE)


def _groups() -> tuple[float, float]:
    """How many groups intake has written so far, and how many reports they held."""
    labels = {"writer": "intake_reports"}
    count = REGISTRY.get_sample_value("caseflow_group_commit_items_count", labels) or 0.0
    return count, REGISTRY.get_sample_value("caseflow_group_commit_items_sum", labels) or 0.0


async def _together(svc, bodies: list[dict]) -> list:
    """Submit the reports at the same instant (no await comes before their submission, so they form one group)."""
    return await asyncio.gather(
        *(
            commands.receive_report(
                svc.runtime, HotlineReportIn.model_validate(b), channel=Channel.HOTLINE, actor=SYSTEM
            )
            for b in bodies
        ),
        return_exceptions=True,
    )


def _numbered(body: dict, i: int) -> dict:
    return {**body, "requester": {"name": f"市民{i}", "phone": f"1381234{i:04d}"}}


def _places(svc, n: int) -> list[dict]:
    """n locations in n different grids of the directory (so none repeats another)."""
    grids = sorted(code for code, r in svc.runtime.context.regions.items() if r.level == "grid")
    assert len(grids) >= n
    return [{"region_code": code, "address": "门牌 1 号"} for code in grids[:n]]


async def _rows(svc, stmt):
    async with svc.runtime.sessions() as s:
        return (await s.execute(stmt)).all()


async def test_reports_arriving_together_are_one_transaction_with_consecutive_numbers(intake, make_hotline):
    before = _groups()
    bodies = [_numbered(make_hotline(location=place), i) for i, place in enumerate(_places(intake, 6))]
    out = await _together(intake, bodies)
    after = _groups()
    assert (after[0] - before[0], after[1] - before[1]) == (1, 6)  # one group of six
    assert all(r.created and r.merged_into is None for r in out)
    numbers = [int(r.case_id[-6:]) for r in out]
    assert numbers == list(range(numbers[0], numbers[0] + 6))  # in arrival order, none skipped
    # Every case whole: its row, requester, projection row, step and event, each once.
    ids = {r.case_id for r in out}
    for table in (cases, requesters, case_status, case_steps):
        stored = [row[0] for row in await _rows(intake, select(table.c.case_id))]
        assert sorted(stored) == sorted(ids), table.name
    events = await _rows(intake, select(outbox.c.key, outbox.c.event_type))
    assert sorted(events) == sorted((i, "CaseReceived") for i in ids)
    # Each report still reads back as its own case.
    for r, body in zip(out, bodies, strict=True):
        got = await intake.client.get(f"/v1/cases/{r.case_id}", headers=HOTLINE)
        case = got.json()
        assert got.status_code == 200, got.text
        assert (case["region_code"], case["status"]) == (body["location"]["region_code"], "received")
        assert (
            case["requester"]["name"] == body["requester"]["name"]
        )  # its own requester row, decrypted for the hotline
        assert [s["event_type"] for s in case["steps"]] == ["CaseReceived"]


async def test_a_repeat_of_a_report_in_the_same_group_is_merged_into_it(intake, make_hotline):
    at = {"lat": GRID_POINT[0], "lon": GRID_POINT[1]}
    first, repeat, elsewhere = await _together(
        intake,
        [
            make_hotline(location=at, received_at="2026-11-20T09:00:00+08:00"),
            make_hotline(location={**at, "lat": GRID_POINT[0] + 0.0002}, received_at="2026-11-20T09:05:00+08:00"),
            make_hotline(location=_places(intake, 40)[-1]),
        ],
    )
    assert first.merged_into is None and elsewhere.merged_into is None
    assert repeat.merged_into == first.case_id
    statuses = dict(await _rows(intake, select(case_status.c.case_id, case_status.c.status)))
    assert statuses == {first.case_id: "received", repeat.case_id: "merged", elsewhere.case_id: "received"}
    merged = await _rows(intake, select(outbox.c.key).where(outbox.c.event_type == "CaseMerged"))
    assert [k for (k,) in merged] == [repeat.case_id]


async def test_a_resubmission_and_a_conflict_in_a_group_answer_for_themselves_and_the_rest_is_written(
    intake, make_hotline
):
    stored = make_hotline()
    known = await intake.client.post("/v1/hotline/reports", json=stored, headers=HOTLINE)
    assert known.status_code == 201
    there, further = _places(intake, 40)[-2:]
    fresh, twin_a = make_hotline(location=there), make_hotline(location=further)
    twin_b = dict(twin_a)
    out = await _together(
        intake,
        [fresh, stored, {**stored, "description": "另一件事"}, twin_a, twin_b],
    )
    new, again, conflict, a, b = out
    assert new.created
    assert not again.created and again.case_id == known.json()["case_id"]
    assert isinstance(conflict, ExternalIdConflict)
    assert sorted([a.created, b.created]) == [False, True] and a.case_id == b.case_id
    async with intake.runtime.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(cases))).scalar_one() == 3
        received = select(func.count()).select_from(outbox).where(outbox.c.event_type == "CaseReceived")
        assert (await s.execute(received)).scalar_one() == 3


@pytest.mark.parametrize("size", [1, 40])
async def test_every_report_of_a_burst_over_http_is_answered_and_stored_once(intake, make_hotline, size):
    bodies = [make_hotline(location=place) for place in _places(intake, size)]
    answers = await asyncio.gather(
        *(intake.client.post("/v1/hotline/reports", json=b, headers=HOTLINE) for b in bodies)
    )
    assert [a.status_code for a in answers] == [201] * size
    ids = [a.json()["case_id"] for a in answers]
    assert len(set(ids)) == size
    stored = dict(await _rows(intake, select(cases.c.external_id, cases.c.case_id)))
    assert stored == {b["external_id"]: i for b, i in zip(bodies, ids, strict=True)}
