"""The hotline's case status follows dispatch and escalation events; return visits close or reopen the loop."""

from __future__ import annotations

from datetime import UTC, datetime

from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts.escalation import ClocksUpdated, ClockView
from caseflow_common.testing import auth_header, wait_for

HOTLINE = auth_header(Role.HOTLINE)
UNIT = "440103-CG"
DEADLINE = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


async def test_the_status_follows_a_case_through_dispatch_reply_close_and_a_dissatisfied_visit(
    intake, make_hotline, feeder, intake_topic, clock
):
    case_id = (await intake.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE)).json()["case_id"]

    async def status_is(expected: str):
        view = (await intake.client.get(f"/v1/cases/{case_id}", headers=HOTLINE)).json()
        return view if view["status"] == expected else None

    at = clock()
    await feeder.send(topics.DISPATCH, case_id, d.CaseDispatched(unit=UNIT, unit_name="荔湾区城管局", at=at))
    await feeder.send(
        topics.ESCALATION,
        case_id,
        ClocksUpdated(clocks=[ClockView(kind="handling", deadline=DEADLINE, state="running", unit=UNIT)]),
        producer="escalation",
    )
    view = await wait_for(lambda: status_is("dispatched"))
    assert view["unit"] == UNIT and view["unit_name"] == "荔湾区城管局"
    await wait_for(lambda: _has_deadline(intake, case_id))

    visit = {"contacted": True, "satisfaction": "satisfied", "comment": "还没处理"}
    refused = await intake.client.post(f"/v1/cases/{case_id}/visits", json=visit, headers=HOTLINE)
    assert refused.status_code == 409 and "needs a closed case" in refused.json()["error"]["message"]

    await feeder.send(topics.DISPATCH, case_id, d.CaseAccepted(unit=UNIT, at=clock.advance(hours=1)))
    await feeder.send(
        topics.DISPATCH, case_id, d.CaseReplied(unit=UNIT, at=clock.advance(hours=2), content="已清运", resolved=True)
    )
    await wait_for(lambda: status_is("replied"))
    await feeder.send(topics.DISPATCH, case_id, d.CaseClosed(unit=UNIT, at=clock.advance(hours=1), resolved=True))
    view = await wait_for(lambda: status_is("closed"))
    assert [s["event_type"] for s in view["steps"]] == [
        "CaseReceived",
        "CaseDispatched",
        "CaseAccepted",
        "CaseReplied",
        "CaseClosed",
    ]
    assert view["steps"][3]["note"] == "已清运"
    assert view["deadlines"][0]["deadline"].startswith("2026-11-27T09:30")

    clock.advance(days=1)
    dissatisfied = {"contacted": True, "satisfaction": "dissatisfied", "comment": "垃圾又堆起来了"}
    r = await intake.client.post(f"/v1/cases/{case_id}/visits", json=dissatisfied, headers=HOTLINE)
    assert r.status_code == 201
    assert r.json() == {"case_id": case_id, "cycle": 1, "attempt": 1, "reopened": True, "status": "reopened"}
    view = await status_is("reopened")
    assert view and view["cycle"] == 2
    events = await intake_topic.read_until(lambda es: any(e.event_type == "CaseReopened" for e in es))
    reopened = next(e for e in events if e.event_type == "CaseReopened")
    visited = next(e for e in events if e.event_type == "VisitRecorded")
    assert reopened.payload["cycle"] == 2 and reopened.payload["unit"] == UNIT
    assert visited.payload["satisfaction"] == "dissatisfied" and visited.payload["cycle"] == 1
    again = await intake.client.post(f"/v1/cases/{case_id}/visits", json=dissatisfied, headers=HOTLINE)
    assert again.status_code == 409  # the new cycle is not closed yet


async def _has_deadline(intake, case_id: str) -> bool:
    view = (await intake.client.get(f"/v1/cases/{case_id}", headers=HOTLINE)).json()
    return bool(view["deadlines"])


async def test_a_case_nobody_holds_is_not_found_and_visits_need_the_hotline(intake):
    assert (await intake.client.get("/v1/cases/GZ-20261120-999999", headers=HOTLINE)).status_code == 404
    r = await intake.client.post("/v1/cases/GZ-20261120-999999/visits", json={"contacted": False}, headers=HOTLINE)
    assert r.status_code == 404
    r = await intake.client.post("/v1/cases/X/visits", json={"contacted": True}, headers=auth_header(Role.GRID))
    assert r.status_code == 403
