"""A department dashboard's queue: running deadlines learnt from escalation's clocks, overdue, open supervision, the
last update; several statuses, overdue only, changed since, order by deadline / received / updated; the summary."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event

from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.contracts.escalation import (
    ClocksUpdated,
    ClockView,
    SupervisionActionIssued,
    SupervisionActionResolved,
)
from caseflow_common.events import Actor, new_event
from caseflow_common.testing import auth_header, wait_for

TH_ECOLOGY = "GZ-TH-HJ"
ESCALATION = "escalation"


def clock(kind: str, deadline: datetime, state: str = "running", unit: str = TH_ECOLOGY, **more: Any) -> ClockView:
    return ClockView(kind=kind, deadline=deadline, state=state, unit=unit, role="holder", **more)


async def send_clocks(dispatch, case_id: str, clocks: list[ClockView], at: datetime | None = None):
    env = new_event(
        ClocksUpdated(clocks=clocks),
        case_id=case_id,
        producer=ESCALATION,
        actor=Actor(role="system", id=ESCALATION),
        occurred_at=at or dispatch.clock(),
    )
    await dispatch.send_envelope(env, topics.ESCALATION)
    return env


async def queue(dispatch, unit: str = TH_ECOLOGY, **params: Any) -> dict[str, Any]:
    response = await dispatch.get("/v1/work/cases", unit, **params)
    assert response.status_code == 200, response.text
    return response.json()


async def item_when(dispatch, case_id: str, probe, unit: str = TH_ECOLOGY) -> dict[str, Any]:
    """The case's queue item once `probe(item)` holds (the consumer applies escalation's events meanwhile)."""

    async def ready() -> dict[str, Any] | None:
        items = [i for i in (await queue(dispatch, unit, page_size=200))["items"] if i["case_id"] == case_id]
        return items[0] if items and probe(items[0]) else None

    return await wait_for(ready, timeout=20)


async def test_queue_items_carry_the_running_deadlines_overdue_flag_open_supervision_and_last_update(dispatch):
    case_id = await dispatch.receive()
    now = dispatch.clock()
    sign_for, handling = now - timedelta(hours=1), now + timedelta(days=5)
    await send_clocks(
        dispatch,
        case_id,
        [
            clock("sign_for", sign_for),
            clock("handling", handling),
            clock("first_contact", now - timedelta(days=1), state="met", met_at=now - timedelta(days=2)),
            clock("reply", now + timedelta(days=9), state="paused"),
        ],
    )
    await dispatch.send(
        SupervisionActionIssued(action_id="A-7", rung="reminder", unit=TH_ECOLOGY, case_ids=[case_id], issued_at=now),
        case_id,
        topics.ESCALATION,
    )
    item = await item_when(dispatch, case_id, lambda i: i["deadlines"] and i["open_supervision"])

    # Met and paused clocks do not run: only sign-for and handling count, the passed sign-for makes it overdue.
    assert item["deadlines"] == {"sign_for": sign_for.isoformat(), "handling": handling.isoformat()}
    assert item["next_deadline"] == sign_for.isoformat() and item["overdue"] is True
    assert [(a["action_id"], a["rung"], a["unit"]) for a in item["open_supervision"]] == [
        ("A-7", "reminder", TH_ECOLOGY)
    ]
    assert item["updated_at"] and item["change_id"] >= 1

    await dispatch.send(
        SupervisionActionResolved(action_id="A-7", rung="reminder", unit=TH_ECOLOGY), case_id, topics.ESCALATION
    )
    await send_clocks(dispatch, case_id, [clock("sign_for", sign_for, state="met", met_at=now)])
    done = await item_when(dispatch, case_id, lambda i: not i["open_supervision"] and not i["deadlines"])
    assert done["overdue"] is False and done["next_deadline"] is None
    assert done["change_id"] > item["change_id"]


async def test_an_older_clock_list_replayed_later_never_replaces_the_newer_one(dispatch):
    case_id = await dispatch.receive()
    now = dispatch.clock()
    newer = await send_clocks(dispatch, case_id, [clock("handling", now + timedelta(days=2))], at=now)
    await item_when(dispatch, case_id, lambda i: "handling" in i["deadlines"])
    # The same event again, then an earlier list under another event id (a replay): the newer list stays.
    await dispatch.send_envelope(newer, topics.ESCALATION)
    await send_clocks(dispatch, case_id, [clock("sign_for", now - timedelta(days=1))], at=now - timedelta(minutes=1))
    marker = await dispatch.receive()  # the consumer has passed both replays once this later case is routed
    await send_clocks(dispatch, marker, [clock("sign_for", now + timedelta(hours=1))])
    await item_when(dispatch, marker, lambda i: i["deadlines"])
    item = await item_when(dispatch, case_id, lambda i: True)
    assert item["deadlines"] == {"handling": (now + timedelta(days=2)).isoformat()} and item["overdue"] is False


async def test_clocks_that_arrive_before_the_case_is_routed_show_once_it_is(dispatch):
    case_id = "C-early-clocks"
    due = dispatch.clock() + timedelta(hours=3)
    await send_clocks(dispatch, case_id, [clock("sign_for", due)])
    marker = await dispatch.receive()
    await send_clocks(dispatch, marker, [clock("sign_for", due)])
    await item_when(dispatch, marker, lambda i: i["deadlines"])
    await dispatch.receive(case_id=case_id)
    item = await item_when(dispatch, case_id, lambda i: True)
    assert item["deadlines"] == {"sign_for": due.isoformat()}


async def test_several_statuses_by_comma_or_repeated_and_an_unknown_status_is_refused_with_the_reason(dispatch):
    accepted = await dispatch.receive()
    dispatched = await dispatch.receive()
    replied = await dispatch.receive()
    assert (await dispatch.act(accepted, "accept", TH_ECOLOGY)).status_code == 200
    assert (await dispatch.act(replied, "accept", TH_ECOLOGY)).status_code == 200
    reply = {"content": "已处理", "resolved": True}
    assert (await dispatch.act(replied, "reply", TH_ECOLOGY, reply)).status_code == 200

    def ids(page: dict[str, Any]) -> set[str]:
        return {i["case_id"] for i in page["items"]}

    by_comma = await queue(dispatch, status="accepted,replied")
    by_repeat = (
        await dispatch.svc.client.get(
            "/v1/work/cases?status=accepted&status=replied", headers=auth_header(Role.DEPARTMENT, TH_ECOLOGY)
        )
    ).json()
    assert ids(by_comma) == ids(by_repeat) == {accepted, replied} and by_comma["total"] == 2
    assert ids(await queue(dispatch, status="dispatched")) == {dispatched}

    refused = await dispatch.get("/v1/work/cases", TH_ECOLOGY, status="accepted,finished")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_request" and "finished" in error["message"] and "replied" in error["message"]


async def test_overdue_only_and_ordering_by_deadline_received_and_updated(dispatch):
    now = dispatch.clock()
    late = await dispatch.receive(received_at=now - timedelta(hours=3))
    soon = await dispatch.receive(received_at=now - timedelta(hours=2))
    none = await dispatch.receive(received_at=now - timedelta(hours=1))
    await send_clocks(dispatch, late, [clock("sign_for", now - timedelta(minutes=30))])
    await send_clocks(dispatch, soon, [clock("sign_for", now + timedelta(minutes=30))])
    await item_when(dispatch, soon, lambda i: i["deadlines"])
    await item_when(dispatch, late, lambda i: i["deadlines"])

    def order(page: dict[str, Any]) -> list[str]:
        return [i["case_id"] for i in page["items"] if i["case_id"] in {late, soon, none}]

    assert order(await queue(dispatch)) == [none, soon, late]  # default: newest received first
    assert order(await queue(dispatch, sort="received")) == [late, soon, none]
    assert order(await queue(dispatch, sort="deadline")) == [late, soon, none]  # no running deadline: last
    assert order(await queue(dispatch, sort="-deadline")) == [soon, late, none]

    overdue = await queue(dispatch, overdue="true")
    assert order(overdue) == [late] and overdue["total"] == 1
    assert set(order(await queue(dispatch, overdue="false"))) == {soon, none}

    dispatch.clock.advance(minutes=10)
    assert (await dispatch.act(late, "accept", TH_ECOLOGY)).status_code == 200
    assert order(await queue(dispatch, sort="-updated"))[0] == late
    assert order(await queue(dispatch, sort="updated"))[-1] == late

    refused = await dispatch.get("/v1/work/cases", TH_ECOLOGY, sort="priority")
    assert refused.status_code == 422


async def test_updated_since_gives_only_the_cases_changed_at_or_after_that_time(dispatch):
    old = await dispatch.receive()
    untouched = await dispatch.receive()
    since = dispatch.clock.advance(minutes=5)
    assert (await dispatch.act(old, "accept", TH_ECOLOGY)).status_code == 200
    page = await queue(dispatch, updated_since=since.isoformat())
    assert [i["case_id"] for i in page["items"]] == [old] and page["total"] == 1
    assert untouched not in {i["case_id"] for i in (await queue(dispatch, updated_since=since.isoformat()))["items"]}
    naive = await dispatch.get("/v1/work/cases", TH_ECOLOGY, updated_since="2026-11-20T09:00:00")
    assert naive.status_code == 422


async def test_the_summary_counts_the_units_cases_by_status_overdue_due_today_and_open_supervision(dispatch):
    # 2026-11-20T01:30Z is 09:30 in the city: the city's day ends at 16:00Z.
    now = dispatch.clock()
    overdue = await dispatch.receive()
    today = await dispatch.receive()
    later = await dispatch.receive()
    accepted = await dispatch.receive()
    foreign = await dispatch.receive(category="traffic.signal.fault")
    assert (await dispatch.act(accepted, "accept", TH_ECOLOGY)).status_code == 200
    await send_clocks(dispatch, overdue, [clock("sign_for", now - timedelta(minutes=1))])
    await send_clocks(dispatch, today, [clock("sign_for", now + timedelta(hours=6))])
    await send_clocks(dispatch, later, [clock("sign_for", now + timedelta(hours=15))])  # 00:30 tomorrow, city time
    for action_id, rung in (("S-1", "reminder"), ("S-2", "reminder"), ("S-3", "supervise")):
        await dispatch.send(
            SupervisionActionIssued(action_id=action_id, rung=rung, unit=TH_ECOLOGY, case_ids=[overdue, today]),
            overdue,
            topics.ESCALATION,
        )
    await item_when(dispatch, later, lambda i: i["deadlines"])
    await item_when(dispatch, overdue, lambda i: len(i["open_supervision"]) == 3)

    response = await dispatch.get("/v1/work/summary", TH_ECOLOGY)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["unit"] == TH_ECOLOGY and summary["day"] == "2026-11-20"
    assert summary["by_status"]["dispatched"] == 3 and summary["by_status"]["accepted"] == 1
    assert summary["total"] == 4  # the traffic case is another unit's
    assert summary["overdue"] == 1 and summary["due_today"] == 1
    # An action naming two cases counts once.
    assert summary["open_supervision"] == {"reminder": 2, "supervise": 1, "notify": 0, "interview": 0, "listed": 0}
    assert foreign
    forbidden = await dispatch.get("/v1/work/summary", None, Role.SUPERVISOR)
    assert forbidden.status_code == 403


async def test_a_queue_item_is_read_as_of_one_moment_even_when_a_commit_lands_between_its_statements(dispatch):
    # The queue reads the cases' rows (with their change number), then their clocks, in separate statements. A
    # commit between the two must not give the old change number with the new clocks: a dashboard that has seen
    # change n would never be told that the clocks changed. PostgreSQL only: on SQLite no commit can come between.
    runtime = dispatch.svc.runtime
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite: the read holds the one connection, so no commit comes between its statements")
    case_id = await dispatch.receive()
    now = dispatch.clock()
    await send_clocks(dispatch, case_id, [clock("handling", now + timedelta(days=5))])
    before = await item_when(dispatch, case_id, lambda i: i["deadlines"])
    dsn = str(runtime.engine.url.set(drivername="postgresql"))

    def commit_elsewhere() -> None:  # another transaction changes the case and its clocks, and commits
        async def change() -> None:
            conn = await asyncpg.connect(dsn)
            try:
                async with conn.transaction():
                    await conn.execute(
                        "UPDATE work_cases SET change_seq = change_seq + 1000 WHERE case_id = $1", case_id
                    )
                    await conn.execute("DELETE FROM case_clocks WHERE case_id = $1", case_id)
            finally:
                await conn.close()

        worker = threading.Thread(target=lambda: asyncio.run(change()))
        worker.start()
        worker.join(timeout=30)

    fired = []

    def between(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if not fired and statement.lstrip().upper().startswith("SELECT") and "FROM case_clocks" in statement:
            fired.append(statement)
            commit_elsewhere()

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", between)
    try:
        seen = await queue(dispatch, page_size=200)
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", between)
    assert fired, "the queue read no clocks"
    item = next(i for i in seen["items"] if i["case_id"] == case_id)
    assert (item["change_id"], item["deadlines"]) == (before["change_id"], before["deadlines"])
    after = await item_when(dispatch, case_id, lambda i: not i["deadlines"])
    assert after["change_id"] == before["change_id"] + 1000  # the next read sees the commit whole
