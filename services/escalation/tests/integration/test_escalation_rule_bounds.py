"""Rules whose deadlines cannot be counted are refused with 422 before they are stored: the rules in force stay, and
the clocks keep answering (found probing the unbounded numbers of the OpenAPI documents: a 500 after the version was
stored, or a policy stored that failed the first case it applied to)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

from caseflow_common.auth import Role
from caseflow_common.testing import ManualClock, auth_header

ADMIN = auth_header(Role.ADMIN)
SUPERVISOR = auth_header(Role.SUPERVISOR)
AT = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


async def _policies(svc: Any) -> dict[str, Any]:
    doc = (await svc.client.get("/v1/admin/policies", headers=ADMIN)).json()
    return {"policies": doc["policies"], "ladder": doc["ladder"], "version": doc["version"]}


async def _started(escalation: Any, databases: Any, name: str) -> Any:
    return escalation(await databases.new_url(name), ManualClock(AT))


async def test_a_clock_or_rectification_period_too_long_to_count_is_refused_and_the_rules_in_force_stay(
    escalation, databases, esc
):
    async with await _started(escalation, databases, "bounds") as svc:
        await esc.feed(svc.runtime, "C-1", esc.received(AT), AT)
        await esc.feed(svc.runtime, "C-1", esc.dispatched(AT), AT)
        before = await _policies(svc)
        too_long: list[tuple[str, float, str]] = [
            ("clock", 36500, "working_days"),  # a century of working days: past the calendar's reach
            ("clock", 1e300, "natural_hours"),  # past any representable time
            ("clock", 1e18, "working_hours"),
            ("rectification", 1e300, "working_days"),
            ("rectification", 2.5, "working_days"),  # not a whole number of working days
        ]
        for where, amount, unit in too_long:
            body = copy.deepcopy({"policies": before["policies"], "ladder": before["ladder"]})
            if where == "clock":  # every policy's, so the running case's too
                for clocks in (p["clocks"] for p in body["policies"]):
                    clocks.get("sign_for", clocks.get("handling", {})).update(amount=amount, unit=unit)
            else:
                body["ladder"]["rectification"]["supervise"].update(amount=amount, unit=unit)
            r = await svc.client.put("/v1/admin/policies", json=body, headers=ADMIN)
            assert r.status_code == 422, (where, amount, unit, r.text)
            assert r.json()["error"]["code"] in ("invalid_policies", "invalid_request"), r.text
            assert r.json()["error"]["details"], r.text
        assert (await _policies(svc))["version"] == before["version"]
        clocks = await svc.client.get("/v1/cases/C-1/clocks", headers=SUPERVISOR)
        assert clocks.status_code == 200 and clocks.json()["clocks"]


def _no_working_day(year: int) -> dict[str, Any]:
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(366)]
    weekdays = [d.isoformat() for d in days if d.year == year and d.weekday() < 5]
    return {"year": year, "holidays": weekdays, "workdays": []}


async def test_a_calendar_without_working_days_for_a_decade_is_refused_and_the_calendar_in_force_stays(
    escalation, databases, esc
):
    async with await _started(escalation, databases, "calendar") as svc:
        await esc.feed(svc.runtime, "C-1", esc.received(AT), AT)
        await esc.feed(svc.runtime, "C-1", esc.dispatched(AT), AT)
        before = (await svc.client.get("/v1/admin/calendar", headers=ADMIN)).json()
        body = {"years": [_no_working_day(y) for y in range(2026, 2038)]}
        r = await svc.client.put("/v1/admin/calendar", json=body, headers=ADMIN)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "invalid_calendar" and r.json()["error"]["details"], r.text
        assert (await svc.client.get("/v1/admin/calendar", headers=ADMIN)).json()["version"] == before["version"]
        clocks = await svc.client.get("/v1/cases/C-1/clocks", headers=SUPERVISOR)
        assert clocks.status_code == 200 and clocks.json()["clocks"]
