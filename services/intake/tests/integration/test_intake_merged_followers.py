"""并单: every request merged into a main case follows it through reply and close, then has its own visit and loop."""

from __future__ import annotations

from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.contracts import dispatch as d
from caseflow_common.testing import auth_header, wait_for

HOTLINE = auth_header(Role.HOTLINE)
UNIT = "440103-CG"
REPLY = "已安排清运，垃圾已清理完毕"


async def _report(intake, body) -> dict:
    r = await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
    assert r.status_code == 201, r.text
    return r.json()


async def _view_when(intake, case_id: str, status: str) -> dict:
    async def probe():
        view = (await intake.client.get(f"/v1/cases/{case_id}", headers=HOTLINE)).json()
        return view if view["status"] == status else None

    return await wait_for(probe, timeout=20)


async def _visit(intake, case_id: str, satisfaction: str):
    body = {"contacted": True, "satisfaction": satisfaction, "comment": "回访"}
    return await intake.client.post(f"/v1/cases/{case_id}/visits", json=body, headers=HOTLINE)


async def test_every_merged_request_takes_over_the_reply_and_close_and_is_visited_on_its_own(
    intake, make_hotline, feeder, intake_topic, clock
):
    main = await _report(intake, make_hotline())
    early = await _report(intake, make_hotline(requester={"name": "王五", "phone": "13700001111"}))
    assert early["merged_into"] == main["case_id"]
    await feeder.send(
        topics.DISPATCH, main["case_id"], d.CaseDispatched(unit=UNIT, unit_name="荔湾区城管局", at=clock())
    )
    await feeder.send(topics.DISPATCH, main["case_id"], d.CaseAccepted(unit=UNIT, at=clock.advance(hours=1)))
    await feeder.send(
        topics.DISPATCH,
        main["case_id"],
        d.CaseReplied(unit=UNIT, at=clock.advance(hours=2), content=REPLY, resolved=True),
    )
    replied = await _view_when(intake, early["case_id"], "replied")
    assert replied["reply"]["content"] == REPLY and replied["reply"]["resolved"] is True
    # A third requester calls after the reply: the main case is still open, so the call joins it too.
    late = await _report(intake, make_hotline(requester={"name": "赵六", "phone": "13600002222"}))
    assert late["merged_into"] == main["case_id"]

    await feeder.send(
        topics.DISPATCH, main["case_id"], d.CaseClosed(unit=UNIT, at=clock.advance(hours=1), resolved=True)
    )
    early_view = await _view_when(intake, early["case_id"], "closed")
    late_view = await _view_when(intake, late["case_id"], "closed")
    for view in (early_view, late_view):
        assert view["unit"] == UNIT and view["unit_name"] == "荔湾区城管局"
        assert view["reply"]["content"] == REPLY
        steps = [(s["event_type"], s["note"]) for s in view["steps"]]
        assert steps[-2:] == [("CaseReplied", REPLY), ("CaseClosed", None)]
    assert late_view["requester"]["name"] == "赵六"  # each requester keeps their own identity

    # Each requester's own visit: the main case's visit no longer stands in for them (today a 409).
    assert (await _visit(intake, main["case_id"], "satisfied")).status_code == 201
    assert (await _visit(intake, early["case_id"], "basically_satisfied")).status_code == 201
    dissatisfied = await _visit(intake, late["case_id"], "dissatisfied")
    assert dissatisfied.status_code == 201, dissatisfied.text
    assert dissatisfied.json()["reopened"] is True and dissatisfied.json()["status"] == "reopened"

    ids = {main["case_id"], early["case_id"], late["case_id"]}
    events = await intake_topic.read_until(
        lambda es: (
            {e.case_id for e in es if e.event_type == "VisitRecorded"} >= ids
            and any(e.event_type == "CaseReopened" for e in es)
        )
    )
    visits = {e.case_id: e.payload for e in events if e.event_type == "VisitRecorded"}
    assert {case_id: v["satisfaction"] for case_id, v in visits.items()} == {
        main["case_id"]: "satisfied",
        early["case_id"]: "basically_satisfied",
        late["case_id"]: "dissatisfied",
    }
    assert all(v["unit"] == UNIT and v["cycle"] == 1 for v in visits.values())  # counted for the unit that replied
    reopened = [e for e in events if e.event_type == "CaseReopened"]
    assert [(e.case_id, e.payload["cycle"], e.payload["unit"]) for e in reopened] == [(late["case_id"], 2, UNIT)]
    main_view = (await intake.client.get(f"/v1/cases/{main['case_id']}", headers=HOTLINE)).json()
    assert main_view["status"] == "closed"  # one requester's dissatisfaction reopens their own case only


async def test_a_merged_request_that_went_its_own_way_no_longer_follows_its_main_case(
    intake, make_hotline, feeder, clock
):
    main = await _report(intake, make_hotline())
    follower = await _report(intake, make_hotline(requester={"name": "王五", "phone": "13700001111"}))
    for event in (
        d.CaseDispatched(unit=UNIT, at=clock()),
        d.CaseReplied(unit=UNIT, at=clock.advance(hours=1), content=REPLY, resolved=True),
        d.CaseClosed(unit=UNIT, at=clock.advance(hours=1)),
    ):
        await feeder.send(topics.DISPATCH, main["case_id"], event)
    await _view_when(intake, follower["case_id"], "closed")
    assert (await _visit(intake, follower["case_id"], "dissatisfied")).status_code == 201
    assert (await _visit(intake, main["case_id"], "dissatisfied")).status_code == 201

    # The main case's second cycle replies and closes; the follower, reopened on its own, is not carried along.
    for event in (
        d.CaseDispatched(unit=UNIT, at=clock.advance(hours=1), cycle=2),
        d.CaseReplied(unit=UNIT, at=clock.advance(hours=1), content="再次清运", resolved=True, cycle=2),
        d.CaseClosed(unit=UNIT, at=clock.advance(hours=1), cycle=2),
    ):
        await feeder.send(topics.DISPATCH, main["case_id"], event)
    await _view_when(intake, main["case_id"], "closed")
    view = (await intake.client.get(f"/v1/cases/{follower['case_id']}", headers=HOTLINE)).json()
    assert view["status"] == "reopened" and view["cycle"] == 2
    assert view["reply"]["content"] == REPLY
