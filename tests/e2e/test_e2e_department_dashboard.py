"""A department dashboard over the four services (real broker, real databases): the queue item carries the
deadlines escalation keeps, signing for meets the sign-for clock, a passed deadline makes the case overdue and
brings supervision, the summary counts them, and the department reads its own assessment."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

from e2e_support import UNIT, _start_all, report

from caseflow_common.auth import Role
from caseflow_common.testing import ManualClock, auth_header, wait_for

DEPARTMENT = auth_header(Role.DEPARTMENT, UNIT)


async def test_the_queue_follows_escalations_clocks_and_supervision_and_the_department_reads_its_assessment(
    broker, topic_prefix, databases
):
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        svcs = await _start_all(stack, broker, topic_prefix, databases, clock)
        d = svcs["dispatch"].client
        r = await svcs["intake"].client.post(
            "/v1/hotline/reports", json=report(f"DASH-{uuid.uuid4().hex[:8]}"), headers=auth_header(Role.HOTLINE)
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]

        async def item(probe):  # type: ignore[no-untyped-def]
            page = (await d.get("/v1/work/cases", headers=DEPARTMENT, params={"sort": "deadline"})).json()
            found = [i for i in page["items"] if i["case_id"] == case_id]
            return found[0] if found and probe(found[0]) else None

        dispatched = await wait_for(lambda: item(lambda i: "sign_for" in i["deadlines"]), timeout=30)
        clocks = (
            await svcs["escalation"].client.get(f"/v1/cases/{case_id}/clocks", headers=auth_header(Role.SUPERVISOR))
        ).json()["clocks"]
        running = {c["kind"]: c["deadline"] for c in clocks if c["state"] == "running" and c["unit"] == UNIT}
        assert {k: datetime.fromisoformat(v) for k, v in dispatched["deadlines"].items()} == {
            k: datetime.fromisoformat(v) for k, v in running.items()
        }
        assert dispatched["overdue"] is False

        accepted = await d.post(f"/v1/work/cases/{case_id}/accept", headers=DEPARTMENT)
        assert accepted.status_code == 200
        signed = await wait_for(lambda: item(lambda i: "sign_for" not in i["deadlines"]), timeout=30)
        assert signed["status"] == "accepted" and signed["deadlines"], "the handling clocks still run"

        # Past every running deadline: overdue at once; escalation's ladder then supervises the unit.
        latest = max(datetime.fromisoformat(v) for v in signed["deadlines"].values())
        clock.advance(seconds=(latest - clock()).total_seconds() + timedelta(days=1).total_seconds())
        overdue = await item(lambda i: True)
        assert overdue["overdue"] is True
        overdue_only = (await d.get("/v1/work/cases", headers=DEPARTMENT, params={"overdue": "true"})).json()
        assert [i["case_id"] for i in overdue_only["items"]] == [case_id]
        supervised = await wait_for(lambda: item(lambda i: i["open_supervision"]), timeout=60)
        assert all(a["unit"] == UNIT for a in supervised["open_supervision"])

        summary = (await d.get("/v1/work/summary", headers=DEPARTMENT)).json()
        assert summary["overdue"] == 1 and summary["by_status"]["accepted"] == 1
        assert summary["open_supervision_total"] >= 1

        month = "2026-11"  # the report's month (received 2026-11-20, city time)
        own = await svcs["audit"].client.get(
            f"/v1/assessment/units/{UNIT}", headers=DEPARTMENT, params={"months": 1, "until": month}
        )
        assert own.status_code == 200 and own.json()["months"][0]["received"] == 1
        foreign = await svcs["audit"].client.get("/v1/assessment/units/GZ-TH-CG", headers=DEPARTMENT)
        assert foreign.status_code == 403
