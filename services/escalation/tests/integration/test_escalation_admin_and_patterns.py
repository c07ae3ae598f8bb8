"""Calendar and policy changes recompute running clocks; pattern triggers warn once per window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from caseflow_common.auth import Role
from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts import intake as i
from caseflow_common.testing import ManualClock, auth_header

UTC = UTC
ADMIN = auth_header(Role.ADMIN)
SUPERVISOR = auth_header(Role.SUPERVISOR)


def _handling(body):  # type: ignore[no-untyped-def]
    return next(c for c in body["clocks"] if c["kind"] == "handling")


async def test_a_deadline_in_an_unpublished_year_is_provisional_until_the_calendar_arrives(escalation, databases, esc):
    received = datetime(2026, 12, 28, 1, 0, tzinfo=UTC)  # Monday; 10 working days reach into 2027
    clock = ManualClock(received)
    async with escalation(await databases.new_url("calendar"), clock) as svc:
        await esc.feed(svc.runtime, "C-1", esc.received(received), received)
        await esc.feed(svc.runtime, "C-1", esc.dispatched(received), received)
        before = _handling((await svc.client.get("/v1/cases/C-1/clocks", headers=SUPERVISOR)).json())
        assert before["provisional"] is True
        ready = (await svc.client.get("/v1/admin/calendar", headers=ADMIN)).json()
        assert ready["provisional_deadlines"] >= 1
        # 2027 as published: New Year 1-3 January off (weekends-only guess counted Friday 1 January as working)
        year = {"year": 2027, "holidays": ["2027-01-01"], "workdays": []}
        resp = await svc.client.put("/v1/admin/calendar", json={"years": [year]}, headers=ADMIN)
        assert resp.status_code == 200, resp.text
        assert resp.json()["provisional_deadlines"] == 0
        after = _handling((await svc.client.get("/v1/cases/C-1/clocks", headers=SUPERVISOR)).json())
        assert after["provisional"] is False
        assert datetime.fromisoformat(after["deadline"]) - datetime.fromisoformat(before["deadline"]) == timedelta(
            days=1
        )
        bad = await svc.client.put(
            "/v1/admin/calendar", json={"years": [{"year": 2027, "holidays": ["2028-01-01"]}]}, headers=ADMIN
        )
        assert bad.status_code == 422
        updates = await esc.outbox_events(svc.runtime, "ClocksUpdated")
        assert updates[-1].payload["clocks"][0]["provisional"] is False


async def test_a_new_policy_version_moves_running_clocks_but_not_met_ones(escalation, databases, esc):
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    clock = ManualClock(at)
    async with escalation(await databases.new_url("policy"), clock) as svc:
        await esc.feed(svc.runtime, "C-1", esc.received(at), at)
        await esc.feed(svc.runtime, "C-1", esc.dispatched(at), at)
        await esc.feed(svc.runtime, "C-1", d.CaseAccepted(unit=esc.UNIT, at=at + timedelta(hours=1)), at)
        clock.now = at + timedelta(hours=2)
        doc = (await svc.client.get("/v1/admin/policies", headers=ADMIN)).json()
        assert doc["version"] == 1
        for p in doc["policies"]:
            if p["id"] == "hotline-normal":
                p["clocks"]["handling"]["amount"] = 5
        body = {"policies": doc["policies"], "ladder": doc["ladder"]}
        assert (
            await svc.client.put("/v1/admin/policies", json=body, headers=auth_header(Role.HOTLINE))
        ).status_code == 403
        resp = await svc.client.put("/v1/admin/policies", json=body, headers=ADMIN)
        assert resp.status_code == 200 and resp.json()["version"] == 2
        clocks = {
            c["kind"]: c for c in (await svc.client.get("/v1/cases/C-1/clocks", headers=SUPERVISOR)).json()["clocks"]
        }
        assert clocks["handling"]["policy_version"] == 2
        assert clocks["handling"]["deadline"].startswith("2026-03-09T10:00")
        assert clocks["sign_for"]["state"] == "met" and clocks["sign_for"]["policy_version"] == 1
        broken = {"policies": [p for p in doc["policies"] if p["channel"] != "grid" or p["urgency"]]}
        broken["policies"][0]["clocks"]["handling"]["amount"] = 1.5
        bad = await svc.client.put("/v1/admin/policies", json=broken, headers=ADMIN)
        assert bad.status_code == 422 and bad.json()["error"]["details"]


async def test_clocks_are_shown_to_the_case_unit_and_hidden_from_other_departments(escalation, databases, esc):
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    async with escalation(await databases.new_url("scope"), ManualClock(at)) as svc:
        await esc.feed(svc.runtime, "C-1", esc.received(at), at)
        await esc.feed(svc.runtime, "C-1", esc.dispatched(at), at)
        own = await svc.client.get("/v1/cases/C-1/clocks", headers=auth_header(Role.DEPARTMENT, unit=esc.UNIT))
        assert own.status_code == 200 and {c["kind"] for c in own.json()["clocks"]} == {
            "sign_for",
            "first_contact",
            "handling",
            "reply",
        }
        other = await svc.client.get("/v1/cases/C-1/clocks", headers=auth_header(Role.DEPARTMENT, unit="GZ-LW-CG"))
        assert other.status_code == 404
        assert (await svc.client.get("/v1/cases/C-1/clocks", headers=auth_header(Role.HOTLINE))).status_code == 200
        assert (await svc.client.get("/v1/cases/C-9/clocks", headers=SUPERVISOR)).status_code == 404
        assert (await svc.client.get("/v1/cases/C-1/clocks")).status_code == 401


async def test_suspension_pauses_and_reopening_starts_a_new_cycle(escalation, databases, esc):
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    clock = ManualClock(at)
    async with escalation(await databases.new_url("cycle"), clock) as svc:
        rt = svc.runtime
        await esc.feed(rt, "C-1", esc.received(at), at)
        await esc.feed(rt, "C-1", esc.dispatched(at), at)
        await esc.feed(rt, "C-1", d.CaseSuspended(unit=esc.UNIT, at=at + timedelta(days=1), reason="r"), at)
        clock.now = at + timedelta(days=30)
        paused = _handling((await svc.client.get("/v1/cases/C-1/clocks", headers=SUPERVISOR)).json())
        assert paused["state"] == "paused"
        later = at + timedelta(days=31)
        await esc.feed(rt, "C-1", i.CaseReopened(reason="dissatisfied", cycle=2), later)
        clock.now = later + timedelta(hours=1)
        body = (await svc.client.get("/v1/cases/C-1/clocks", headers=SUPERVISOR)).json()
        cycles = {(c["kind"], c["cycle"]): c["state"] for c in body["clocks"]}
        assert cycles[("handling", 1)] == "met" and cycles[("handling", 2)] == "running"


async def test_a_hotspot_warns_the_coordination_institution_once_per_window(escalation, databases, esc):
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    clock = ManualClock(at)
    async with escalation(await databases.new_url("hotspot"), clock, hotspot_threshold=3) as svc:
        for n in range(5):
            clock.advance(minutes=10)
            await esc.feed(svc.runtime, f"C-{n}", esc.received(clock()), clock())
        raised = await esc.outbox_events(svc.runtime, "PatternWarningRaised")
        street = [e.payload for e in raised if e.payload["region_code"] == esc.STREET]
        assert len(street) == 1 and street[0]["kind"] == "hotspot" and street[0]["count"] == 3
        coordination = street[0]["coordination_unit"]
        assert coordination
        seen = await svc.client.get("/v1/warnings", headers=auth_header(Role.COORDINATION, unit=coordination))
        assert [w["region_code"] for w in seen.json()["items"]] == [esc.STREET]
        assert (await svc.client.get("/v1/warnings", headers=SUPERVISOR)).json()["total"] == len(raised)


async def test_repeats_and_low_satisfaction_raise_their_warnings_once(escalation, databases, esc):
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    clock = ManualClock(at)
    async with escalation(await databases.new_url("repeat"), clock, repeat_threshold=2, satisfaction_last=3) as svc:
        rt = svc.runtime
        await esc.feed(rt, "C-1", esc.received(at), at)
        await esc.feed(rt, "C-1", esc.dispatched(at), at)
        for n in range(3):
            merged = i.CaseMerged(into_case_id="C-1", category="noise", region_code=esc.PATH[0], received_at=at)
            await esc.feed(rt, f"R-{n}", merged, at)
        for n in range(4):
            visit = i.VisitRecorded(
                contacted=True, satisfaction="dissatisfied", visited_at=clock.advance(hours=1), unit=esc.UNIT
            )
            await esc.feed(rt, f"V-{n}", visit, clock())
        kinds = sorted(e.payload["kind"] for e in await esc.outbox_events(rt, "PatternWarningRaised"))
        assert kinds == ["low_satisfaction", "repeat"]
