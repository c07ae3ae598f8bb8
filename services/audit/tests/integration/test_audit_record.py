"""The record against the real broker and both databases: causal order, exactly once, loops, append-only storage
(tamper evidence and origin: test_audit_origin.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from caseflow_common.auth import Role
from caseflow_common.testing import auth_header

SUPERVISOR = auth_header(Role.SUPERVISOR)
UNIT = "GZ-TH-CG"


async def test_a_dispatch_that_arrives_before_its_intake_still_follows_it_in_the_record(audit: Any):
    case_id = audit.new_case()
    received, dispatched = audit.whole_loop(case_id, audit.clock())[:2]
    await audit.publish(dispatched)
    await asyncio.sleep(1.0)  # the dispatch waits for its cause
    assert await audit.record(case_id) == {}
    await audit.publish(received)
    entries = await audit.entries_of(case_id, 2)
    assert [(e["seq"], e["step"], e["event_type"]) for e in entries] == [
        (1, "受理", "CaseReceived"),
        (2, "派单", "CaseDispatched"),
    ]
    assert entries[1]["decided_by"] == "routing_version=12;rule_id=r-17"
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    # Held meanwhile, the dispatch kept the digest of what it arrived with: its signature still holds.
    assert (await audit.verify(case_id))["origin"]["signed"] == 2


async def test_a_redelivered_event_adds_nothing_to_the_record(audit: Any):
    case_id = audit.new_case()
    events = audit.whole_loop(case_id, audit.clock())[:2]
    for env in events + events + [events[0]]:
        await audit.publish(env)
    await audit.entries_of(case_id, 2)
    await asyncio.sleep(1.0)  # a second copy would show up now
    assert [e["seq"] for e in (await audit.record(case_id))["entries"]] == [1, 2]


async def test_an_event_whose_cause_never_comes_is_recorded_after_the_wait_and_flagged(audit: Any):
    case_id = audit.new_case()
    dispatched = audit.whole_loop(case_id, audit.clock())[1]
    await audit.publish(dispatched)
    await asyncio.sleep(1.0)
    audit.clock.advance(seconds=31)
    entries = await audit.entries_of(case_id, 1)
    assert entries[0]["event_type"] == "CaseDispatched" and entries[0]["cause_missing"] is True
    assert (await audit.verify(case_id))["valid"] is True


async def test_the_record_keeps_no_requester_data(audit: Any):
    case_id = audit.new_case()
    await audit.publish(audit.whole_loop(case_id, audit.clock())[0])
    entry = (await audit.entries_of(case_id, 1))[0]
    assert "requester" not in entry["payload"] and entry["payload"]["category"] == "env.noise"


async def test_a_case_that_runs_the_whole_loop_is_complete_and_one_without_the_visit_misses_it(audit: Any):
    done, skipped = audit.new_case(), audit.new_case()
    for env in audit.whole_loop(done, audit.clock()) + audit.whole_loop(skipped, audit.clock(), visit=False):
        await audit.publish(env)
    await audit.entries_of(done, 6)
    await audit.entries_of(skipped, 5)
    assert (await audit.record(done))["loop"] == {"complete": True, "missing": [], "overdue": False, "cycle": 1}
    loop = (await audit.record(skipped))["loop"]
    assert loop["complete"] is False and loop["missing"] == ["回访", "评价"]
    listed = (
        await audit.svc.client.get("/v1/loops/open", params={"step": "回访", "page_size": 200}, headers=SUPERVISOR)
    ).json()
    assert skipped in {i["case_id"] for i in listed["items"]} and done not in {i["case_id"] for i in listed["items"]}


async def test_a_closed_case_without_a_visit_past_the_grace_shows_as_overdue(audit: Any):
    case_id = audit.new_case()
    for env in audit.whole_loop(case_id, audit.clock() - timedelta(days=10), visit=False):
        await audit.publish(env)
    await audit.entries_of(case_id, 5)
    assert (await audit.record(case_id))["loop"]["overdue"] is True
    overdue = (
        await audit.svc.client.get("/v1/loops/open", params={"overdue": "true", "page_size": 200}, headers=SUPERVISOR)
    ).json()
    item = next(i for i in overdue["items"] if i["case_id"] == case_id)
    assert item["missing_step"] == "回访" and item["overdue"] is True


async def test_postgresql_refuses_to_update_or_delete_a_record_entry(audit: Any):
    if audit.backend != "postgres":
        pytest.skip("the trigger is PostgreSQL's")
    case_id = audit.new_case()
    await audit.publish(audit.whole_loop(case_id, audit.clock())[0])
    await audit.entries_of(case_id, 1)
    for statement in (
        "UPDATE record_entries SET step = '办结' WHERE case_id = :c",
        "DELETE FROM record_entries WHERE case_id = :c",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with audit.svc.runtime.engine.begin() as conn:
                await conn.execute(text(statement), {"c": case_id})
    assert len((await audit.record(case_id))["entries"]) == 1


async def test_records_need_a_supervisor_or_hotline_token(audit: Any):
    dept = auth_header(Role.DEPARTMENT, unit=UNIT)
    assert (await audit.svc.client.get("/v1/records/C-x", headers=dept)).status_code == 403
    assert (await audit.svc.client.get("/v1/records/C-x", headers=auth_header(Role.HOTLINE))).status_code == 404
    assert (await audit.svc.client.get("/v1/loops/open", headers=auth_header(Role.HOTLINE))).status_code == 403
