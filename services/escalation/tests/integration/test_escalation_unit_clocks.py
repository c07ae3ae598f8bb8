"""A unit's clocks run from when the case reached it: backdated and far-future report times, transfers after 签收,
assisting units (协办) with clocks of their own (DOMAIN.md, clarifications of 2026-11-30; GZ Art. 10, 17; SZ Art. 25)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from caseflow_common.auth import Role
from caseflow_common.contracts import dispatch as d
from caseflow_common.testing import ManualClock, auth_header, wait_for
from escalation.scheduler import run_scheduler_pass

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # Monday 10:00 in Guangzhou
SUPERVISOR = auth_header(Role.SUPERVISOR)
A, B = "GZ-TH-CG", "GZ-TH-ZJ"


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _clocks(svc, case_id: str, headers=SUPERVISOR):  # type: ignore[no-untyped-def]
    resp = await svc.client.get(f"/v1/cases/{case_id}/clocks", headers=headers)
    return resp.json()["clocks"] if resp.status_code == 200 else resp.status_code


async def test_a_report_backdated_by_weeks_gets_no_rung_when_it_is_dispatched(
    escalation, databases, broker, topic_prefix, esc
):
    weeks_ago = NOW - timedelta(weeks=6)
    clock = ManualClock(NOW)
    async with escalation(await databases.new_url("backdated"), clock, workers=True) as svc:
        await esc.publish(
            broker, topic_prefix, "C-OLD", (esc.received(weeks_ago), NOW), (esc.dispatched(NOW, unit=A), NOW)
        )

        async def four() -> list:  # type: ignore[type-arg]
            got = await _clocks(svc, "C-OLD")
            return got if isinstance(got, list) and len(got) == 4 else []

        clocks = await wait_for(four, timeout=30)
        # every clock of the unit runs from the dispatch, none from the requester's six-week-old time
        assert {_at(c["started_at"]) for c in clocks} == {NOW}
        assert {c["state"] for c in clocks} == {"running"}
        result = await run_scheduler_pass(svc.runtime, NOW + timedelta(seconds=1))
        assert result.actions == 0 and await esc.actions(svc.runtime) == []
        assert await esc.outbox_events(svc.runtime, "SupervisionActionIssued") == []


async def test_a_year_9999_report_time_dead_letters_nothing_and_the_case_still_gets_its_clocks(
    escalation, databases, broker, topic_prefix, esc
):
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    clock = ManualClock(NOW)
    async with escalation(await databases.new_url("far"), clock, workers=True) as svc:
        routed = d.CaseDispatched(unit=A, at=NOW, received_at=far)
        accepted_late = d.CaseAccepted(unit=A, at=far)  # a producer clock gone wild: taken as now
        await esc.publish(broker, topic_prefix, "C-FAR", (esc.received(far), NOW), (routed, NOW), (accepted_late, NOW))

        async def signed_for() -> list:  # type: ignore[type-arg]
            got = await _clocks(svc, "C-FAR")
            ok = isinstance(got, list) and len(got) == 4 and any(c["state"] == "met" for c in got)
            return got if ok else []

        clocks = await wait_for(signed_for, timeout=30)
        by_kind = {c["kind"]: c for c in clocks}
        assert by_kind["sign_for"]["state"] == "met" and _at(by_kind["sign_for"]["met_at"]) == NOW
        assert all(_at(c["deadline"]).year == 2026 for c in clocks)

        # times at the very edges of the calendar, which no UTC clock can show
        edges = {
            "C-EDGE": datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))),
            "C-ZERO": datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=8))),
        }
        for case_id, at in edges.items():
            await esc.publish(broker, topic_prefix, case_id, (esc.received(at), NOW), (esc.dispatched(NOW), NOW))

        async def edge_clocks() -> bool:
            got = [await _clocks(svc, case_id) for case_id in edges]
            return all(isinstance(g, list) and len(g) == 4 for g in got)

        await wait_for(edge_clocks, timeout=30)
        assert await esc.dead_letters(broker, topic_prefix) == []


async def test_after_sign_for_and_transfer_the_receiving_unit_owes_its_own_sign_for(escalation, databases, esc):
    clock = ManualClock(NOW)
    async with escalation(await databases.new_url("transfer"), clock) as svc:
        rt = svc.runtime
        await esc.feed(rt, "C-T", esc.received(NOW), NOW)
        await esc.feed(rt, "C-T", esc.dispatched(NOW, unit=A), NOW)
        signed = NOW + timedelta(hours=1)
        await esc.feed(rt, "C-T", d.CaseAccepted(unit=A, at=signed), signed)
        moved = NOW + timedelta(hours=2)
        await esc.feed(rt, "C-T", d.CaseTransferred(unit=A, at=moved, to_unit=B, reason="住建 holds the duty"), moved)
        await esc.feed(rt, "C-T", d.CaseDispatched(unit=B, at=moved, reason="transfer"), moved)

        mine = await _clocks(svc, "C-T", auth_header(Role.DEPARTMENT, unit=B))
        assert {c["unit"] for c in mine} == {B}
        sign_for = next(c for c in mine if c["kind"] == "sign_for")
        assert sign_for["state"] == "running" and _at(sign_for["started_at"]) == moved
        # the receiver's other clocks restart with it too; the giver no longer reads the case
        assert {_at(c["started_at"]) for c in mine} == {moved}
        assert await _clocks(svc, "C-T", auth_header(Role.DEPARTMENT, unit=A)) == 404
        everyone = await _clocks(svc, "C-T")
        assert [c["state"] for c in everyone if c["unit"] == A and c["kind"] == "sign_for"] == ["met"]

        # B never signs for it: its own sign-for breaches and B, not A, is supervised
        await run_scheduler_pass(rt, moved + timedelta(days=3))
        rows = [r for r in await esc.actions(rt) if r.clock_kind == "sign_for" and r.rung == "supervise"]
        assert [r.unit for r in rows] == [B]
        updated = (await esc.outbox_events(rt, "ClocksUpdated"))[-1].payload["clocks"]
        assert {c["unit"] for c in updated} == {B}


async def test_assisting_units_get_clocks_of_their_own_and_each_reads_only_its_part(escalation, databases, esc):
    lead, helper, other_helper, centre = "GZ-TH-CG", "GZ-TH-ZJ", "GZ-TH-SJ", "GZ-TH-001-ZZ"
    clock = ManualClock(NOW)
    async with escalation(await databases.new_url("assist"), clock) as svc:
        rt = svc.runtime
        await esc.feed(rt, "C-A", esc.received(NOW), NOW)
        await esc.feed(rt, "C-A", d.CaseSentToCoordination(unit=centre, at=NOW), NOW)
        named = NOW + timedelta(hours=1)
        coordinated = d.CaseCoordinated(
            unit=centre, at=named, lead_unit=lead, assisting_units=[helper, other_helper], instructions="together"
        )
        await esc.feed(rt, "C-A", coordinated, named)
        for unit, role in ((lead, "lead"), (helper, "assisting"), (other_helper, "assisting")):
            await esc.feed(rt, "C-A", d.CaseDispatched(unit=unit, at=named, role=role), named)

        helper_view = (
            await svc.client.get("/v1/cases/C-A/clocks", headers=auth_header(Role.DEPARTMENT, unit=helper))
        ).json()
        assert helper_view["assisting_units"] == [helper]
        assert {(c["unit"], c["kind"], c["role"]) for c in helper_view["clocks"]} == {
            (helper, "sign_for", "assisting"),
            (helper, "handling", "assisting"),
        }
        handling = next(c for c in helper_view["clocks"] if c["kind"] == "handling")
        assert _at(handling["started_at"]) == named and handling["state"] == "running"
        lead_view = await _clocks(svc, "C-A", auth_header(Role.DEPARTMENT, unit=lead))
        assert {c["unit"] for c in lead_view} == {lead, helper, other_helper}
        centre_view = await _clocks(svc, "C-A", auth_header(Role.COORDINATION, unit=centre))
        assert {c["unit"] for c in centre_view} == {centre, lead, helper, other_helper}
        assert await _clocks(svc, "C-A", auth_header(Role.DEPARTMENT, unit="GZ-TH-HJ")) == 404

        # the helper answers its part: its clocks are met; the other helper lets its part run out
        done = named + timedelta(hours=3)
        await esc.feed(
            rt, "C-A", d.CasePartReplied(unit=helper, at=done, lead_unit=lead, content="site inspected"), done
        )
        helper_clocks = await _clocks(svc, "C-A", auth_header(Role.DEPARTMENT, unit=helper))
        assert {c["state"] for c in helper_clocks} == {"met"}
        await run_scheduler_pass(rt, named + timedelta(days=20))
        supervised = {(r.unit, r.clock_kind) for r in await esc.actions(rt) if r.rung == "supervise"}
        assert (other_helper, "handling") in supervised and (helper, "handling") not in supervised
        assert (lead, "handling") in supervised
        ids = [r.id for r in await esc.actions(rt)]
        assert len(ids) == len(set(ids))


async def test_the_police_case_linked_to_a_notice_gets_clocks_of_its_own_without_a_receipt(escalation, databases, esc):
    police = "GZ-TH-GA"
    async with escalation(await databases.new_url("linked"), ManualClock(NOW)) as svc:
        notice = d.CaseDispatched(
            unit=police,
            at=NOW,
            reason="police_notice",
            linked_case_id="C-1",
            channel="hotline",
            category="clue.fraud",
            urgency="urgent",
        )
        await esc.feed(svc.runtime, "C-1-GA", notice, NOW)
        clocks = await _clocks(svc, "C-1-GA", auth_header(Role.DEPARTMENT, unit=police))
        assert {(c["kind"], c["unit"], c["state"]) for c in clocks} == {
            (kind, police, "running") for kind in ("sign_for", "first_contact", "handling", "reply")
        }
        # the urgent tier's figures: sign for within 2 working hours of the notice
        sign_for = next(c for c in clocks if c["kind"] == "sign_for")
        assert _at(sign_for["deadline"]) == NOW + timedelta(hours=2)
