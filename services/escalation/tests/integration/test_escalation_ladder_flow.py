"""The supervision ladder driven by a manual clock: climb, stop on rectification, restart safety."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from caseflow_common.auth import Role
from caseflow_common.contracts import dispatch as d
from caseflow_common.testing import ManualClock, auth_header
from escalation.domain.calendar import WorkCalendar
from escalation.scheduler import run_scheduler_pass

UTC = UTC
MONDAY_9AM = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Guangzhou
# Normal hotline case: handling within 10 working days -> end of Monday 16 March (18:00 local).
HANDLING_DEADLINE = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
CAL = WorkCalendar()


def _after(t: datetime) -> datetime:
    return t + timedelta(seconds=1)


async def _open_case(svc, esc, case_id: str = "C-1") -> None:  # type: ignore[no-untyped-def]
    """A case whose sign-for, first contact and reply are met: only the handling clock keeps running."""
    rt = svc.runtime
    await esc.feed(rt, case_id, esc.received(MONDAY_9AM), MONDAY_9AM)
    await esc.feed(rt, case_id, esc.dispatched(MONDAY_9AM), MONDAY_9AM)
    later = MONDAY_9AM + timedelta(hours=1)
    await esc.feed(rt, case_id, d.CaseAccepted(unit=esc.UNIT, at=later), later)
    await esc.feed(rt, case_id, d.CaseReplied(unit=esc.UNIT, at=later, content="on it", resolved=False), later)


def _handling(rows):  # type: ignore[no-untyped-def]
    return [
        (
            r.rung,
            r.rectification_deadline.replace(tzinfo=UTC)
            if r.rectification_deadline.tzinfo is None
            else r.rectification_deadline,
        )
        for r in rows
        if r.clock_kind == "handling"
    ]


async def test_a_breached_case_climbs_the_whole_ladder_with_each_rectification_deadline(escalation, databases, esc):
    clock = ManualClock(MONDAY_9AM)
    async with escalation(await databases.new_url("ladder"), clock) as svc:
        await _open_case(svc, esc)
        rt = svc.runtime
        # 80 % of the 77 working hours from Monday 09:00 to the deadline: Thursday 12 March, 16:36 local
        warn = datetime(2026, 3, 12, 8, 36, tzinfo=UTC)
        assert _handling(await esc.actions(rt)) == []
        await run_scheduler_pass(rt, warn - timedelta(seconds=1))
        assert _handling(await esc.actions(rt)) == []
        await run_scheduler_pass(rt, warn)
        assert _handling(await esc.actions(rt)) == [("reminder", HANDLING_DEADLINE)]

        await run_scheduler_pass(rt, HANDLING_DEADLINE)  # met at 18:00 sharp would still be on time
        assert len(_handling(await esc.actions(rt))) == 1
        expected = [("reminder", HANDLING_DEADLINE)]
        at = HANDLING_DEADLINE
        for rung, days in (("supervise", 3), ("notify", 3), ("interview", 5), ("listed", 10)):
            deadline = CAL.add_working_days(at, days).at
            await run_scheduler_pass(rt, _after(at))
            expected.append((rung, deadline))
            assert _handling(await esc.actions(rt)) == expected
            at = deadline
        await run_scheduler_pass(rt, at + timedelta(days=60))
        assert len(_handling(await esc.actions(rt))) == 5, "listed supervision is the top rung"
        issued = await esc.outbox_events(rt, "SupervisionActionIssued")
        assert sorted(e.payload["rung"] for e in issued if e.payload["clock_kind"] == "handling") == sorted(
            ["reminder", "supervise", "notify", "interview", "listed"]
        )
        assert len(await esc.outbox_events(rt, "SlaWarningIssued")) >= 1


async def test_rectifying_in_time_stops_the_climb(escalation, databases, esc):
    clock = ManualClock(MONDAY_9AM)
    async with escalation(await databases.new_url("resolve"), clock) as svc:
        await _open_case(svc, esc)
        rt = svc.runtime
        clock.now = _after(HANDLING_DEADLINE)
        await run_scheduler_pass(rt)
        supervise = next(r for r in await esc.actions(rt) if r.clock_kind == "handling" and r.rung == "supervise")
        other = await svc.client.post(
            f"/v1/supervision/actions/{supervise.id}/resolve",
            json={"rectification": "x"},
            headers=auth_header(Role.DEPARTMENT, unit="GZ-LW-CG"),
        )
        assert other.status_code == 404
        resp = await svc.client.post(
            f"/v1/supervision/actions/{supervise.id}/resolve",
            json={"rectification": "crew sent, noise source removed"},
            headers=auth_header(Role.DEPARTMENT, unit=esc.UNIT),
        )
        assert resp.status_code == 200 and resp.json()["status"] == "resolved"
        await run_scheduler_pass(rt, datetime(2026, 6, 1, tzinfo=UTC))
        assert [r.rung for r in await esc.actions(rt) if r.clock_kind == "handling"] == ["reminder", "supervise"]
        assert len(await esc.outbox_events(rt, "SupervisionActionResolved")) == 1
        again = await svc.client.post(
            f"/v1/supervision/actions/{supervise.id}/resolve",
            json={"rectification": "y"},
            headers=auth_header(Role.DEPARTMENT, unit=esc.UNIT),
        )
        assert again.status_code == 200 and again.json()["rectification"] == "crew sent, noise source removed"
        assert len(await esc.outbox_events(rt, "SupervisionActionResolved")) == 1


async def test_a_restart_in_the_middle_of_the_climb_loses_nothing_and_doubles_nothing(escalation, databases, esc):
    clock = ManualClock(MONDAY_9AM)
    url = await databases.new_url("restart")
    async with escalation(url, clock) as svc:
        await _open_case(svc, esc)
        await run_scheduler_pass(svc.runtime, _after(HANDLING_DEADLINE))
        before = {r.id for r in await esc.actions(svc.runtime)}
    # down for six weeks: notify, interview and listed all fell due meanwhile
    clock.now = datetime(2026, 4, 30, tzinfo=UTC)
    async with escalation(url, clock) as svc:
        await run_scheduler_pass(svc.runtime)
        await run_scheduler_pass(svc.runtime)
        rows = await esc.actions(svc.runtime)
        assert before <= {r.id for r in rows}
        assert [r.rung for r in rows if r.clock_kind == "handling"] == [
            "reminder",
            "supervise",
            "notify",
            "interview",
            "listed",
        ]
        issued = [e.payload["action_id"] for e in await esc.outbox_events(svc.runtime, "SupervisionActionIssued")]
        assert len(issued) == len(set(issued)) == len(rows)
