"""The directory changing under running cases, and matters spanning regions, across all four services on the real
broker and real databases: a retired unit's open case moves on with fresh clocks of its new unit, recorded in audit
(GZ Art. 5; SZ Art. 8); a report naming two districts reaches the lowest coordination institution covering both
(GZ Art. 10; SZ Art. 24)."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack

from e2e_support import UNIT, _start_all, _status, report

from caseflow_common.auth import Role
from caseflow_common.contracts.dispatch import DIRECTORY_RECORD
from caseflow_common.testing import ManualClock, auth_header, wait_for

HOTLINE, SUPERVISOR, ADMIN = auth_header(Role.HOTLINE), auth_header(Role.SUPERVISOR), auth_header(Role.ADMIN)
CITY_ECOLOGY, CITY_OFFICE, TIANHE_OFFICE = "GZ-HJ", "GZ-PA", "GZ-TH-PA"
TIANHE_STREET, TIANHE_OTHER_STREET, YUEXIU_STREET = "440106001", "440106002", "440104001"


async def _in_queue(dispatch_client, unit: str, case_id: str, role: Role = Role.DEPARTMENT) -> bool:  # type: ignore[no-untyped-def]
    r = await dispatch_client.get("/v1/work/cases", headers=auth_header(role, unit))
    return r.status_code == 200 and any(i["case_id"] == case_id for i in r.json()["items"])


async def test_retired_unit_open_cases_rerouted_with_fresh_clocks(broker, topic_prefix, databases):
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        svcs = await _start_all(stack, broker, topic_prefix, databases, clock)
        d, e = svcs["dispatch"].client, svcs["escalation"].client
        r = await svcs["intake"].client.post(
            "/v1/hotline/reports", json=report(f"E2E-{uuid.uuid4().hex[:8]}"), headers=HOTLINE
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        await wait_for(lambda: _in_queue(d, UNIT, case_id), timeout=20)
        accepted = await d.post(f"/v1/work/cases/{case_id}/accept", headers=auth_header(Role.DEPARTMENT, UNIT))
        assert accepted.status_code == 200, accepted.text
        clock.advance(hours=3)

        retired = await d.post(
            f"/v1/admin/units/{UNIT}/retire", json={"reason": "机构改革，职能并入市局"}, headers=ADMIN
        )
        assert retired.status_code == 200 and retired.json()["rerouted_cases"] == 1, retired.text
        moved_at = clock()

        async def new_units_clocks():  # type: ignore[no-untyped-def]
            got = await e.get(f"/v1/cases/{case_id}/clocks", headers=SUPERVISOR)
            if got.status_code != 200 or got.json()["unit"] != CITY_ECOLOGY:
                return None
            return [c for c in got.json()["clocks"] if c["unit"] == CITY_ECOLOGY] or None

        clocks = await wait_for(new_units_clocks, timeout=20)
        sign_for = next(c for c in clocks if c["kind"] == "sign_for")
        # Its own 签收 clock, running from when the case reached it, not the old unit's met one.
        assert sign_for["state"] == "running" and sign_for["started_at"].startswith(moved_at.isoformat()[:19])
        assert (await d.get(f"/v1/work/cases/{case_id}", headers=auth_header(Role.DEPARTMENT, UNIT))).status_code == 403
        assert (
            await d.post(f"/v1/work/cases/{case_id}/accept", headers=auth_header(Role.DEPARTMENT, CITY_ECOLOGY))
        ).status_code == 200

        async def recorded():  # type: ignore[no-untyped-def]
            rec = await svcs["audit"].client.get(f"/v1/records/{case_id}", headers=SUPERVISOR)
            entries = rec.json()["entries"] if rec.status_code == 200 else []
            units = [x["payload"]["unit"] for x in entries if x["event_type"] == "CaseDispatched"]
            accepted = [x["payload"]["unit"] for x in entries if x["event_type"] == "CaseAccepted"]
            # Audit orders by cause: steps without one keep their arrival order across topics, so compare as sets.
            both = sorted([UNIT, CITY_ECOLOGY])
            return entries if (sorted(units), sorted(accepted)) == (both, both) else None

        entries = await wait_for(recorded, timeout=30)
        moved = next(
            x["payload"]
            for x in entries
            if x["event_type"] == "CaseDispatched" and x["payload"]["unit"] == CITY_ECOLOGY
        )
        assert (moved["reason"], moved["from_unit"]) == ("redispatch", UNIT) and "机构改革" in moved["from_reason"]
        verify = (await svcs["audit"].client.get(f"/v1/records/{case_id}/verify", headers=SUPERVISOR)).json()
        assert verify["valid"] is True
        await wait_for(lambda: _has_status(svcs["intake"].client, case_id, "accepted"), timeout=20)
        # The directory's own record: the retirement chained and verifiable in audit, and no case loop of its own.
        a = svcs["audit"].client
        directory = await wait_for(lambda: _record(a, DIRECTORY_RECORD), timeout=20)
        assert [x["payload"]["op"] for x in directory["entries"]] == ["retire_unit"]
        assert (await a.get(f"/v1/records/{DIRECTORY_RECORD}/verify", headers=SUPERVISOR)).json()["valid"] is True
        open_loops = (await a.get("/v1/loops/open", headers=SUPERVISOR, params={"page_size": 200})).json()
        assert DIRECTORY_RECORD not in {x["case_id"] for x in open_loops["items"]}


async def test_a_report_spanning_two_districts_goes_to_the_city_office_and_one_district_to_its_office(
    broker, topic_prefix, databases
):
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        svcs = await _start_all(stack, broker, topic_prefix, databases, clock)
        d, intake = svcs["dispatch"].client, svcs["intake"].client
        two_districts = {**report(f"E2E-{uuid.uuid4().hex[:8]}"), "category": "dispute.cross_sector"}
        two_districts["location"] = {"region_codes": [TIANHE_STREET, YUEXIU_STREET], "address": "天河越秀交界"}
        one_district = {**two_districts, "external_id": f"E2E-{uuid.uuid4().hex[:8]}"}
        one_district["location"] = {"region_code": TIANHE_STREET, "region_codes": [TIANHE_OTHER_STREET]}
        ordinary = {**report(f"E2E-{uuid.uuid4().hex[:8]}")}
        ordinary["location"] = {"region_codes": [TIANHE_STREET, YUEXIU_STREET]}
        cases = {}
        for name, body in (("two", two_districts), ("one", one_district), ("ordinary", ordinary)):
            r = await intake.post("/v1/hotline/reports", json=body, headers=HOTLINE)
            assert r.status_code == 201, (name, r.text)
            cases[name] = r.json()["case_id"]

        # No district centre covers 天河 and 越秀: the city's office takes the matter, whatever its category.
        for name in ("two", "ordinary"):
            await wait_for(lambda n=name: _in_queue(d, CITY_OFFICE, cases[n], Role.COORDINATION), timeout=20)
        # Two streets of 天河: the district's office, the lowest institution covering both.
        await wait_for(lambda: _in_queue(d, TIANHE_OFFICE, cases["one"], Role.COORDINATION), timeout=20)
        view = await d.get(f"/v1/work/cases/{cases['two']}", headers=auth_header(Role.COORDINATION, CITY_OFFICE))
        assert view.json()["status"] == "coordinating"
        assert view.json()["region_codes"] == [TIANHE_STREET, YUEXIU_STREET]
        await wait_for(lambda: _has_status(intake, cases["two"], "coordinating"), timeout=20)


async def _record(audit_client, record_id: str):  # type: ignore[no-untyped-def]
    r = await audit_client.get(f"/v1/records/{record_id}", headers=SUPERVISOR)
    return r.json() if r.status_code == 200 else None


async def _has_status(intake_client, case_id: str, status: str) -> bool:  # type: ignore[no-untyped-def]
    return await _status(intake_client, case_id) == status
