"""A case through the department's hands, with what the department sees and what dispatch publishes."""

from __future__ import annotations

from caseflow_common.auth import Role

TH_ECOLOGY = "GZ-TH-HJ"  # 天河区生态环境 (the demo routing's target for construction noise in 天河)


async def test_a_case_goes_from_dispatch_to_close_and_each_step_is_published(dispatch):
    case_id = await dispatch.receive()
    queue = (await dispatch.get("/v1/work/cases", TH_ECOLOGY, status="dispatched")).json()
    assert [c["case_id"] for c in queue["items"]] == [case_id] and queue["total"] == 1
    assert queue["items"][0]["requester"] == {"name": "张*", "phone": "138****5678"}

    steps = [
        ("accept", None, "accepted"),
        ("progress", {"note": "已到现场"}, "in_progress"),
        ("suspend", {"reason": "等待市民补充材料"}, "suspended"),
        ("resume", None, "in_progress"),
        ("reply", {"content": "已责令停工", "resolved": True}, "replied"),
        ("close", None, "closed"),
    ]
    for action, body, status in steps:
        response = await dispatch.act(case_id, action, TH_ECOLOGY, body)
        assert response.status_code == 200, (action, response.text)
        assert response.json()["status"] == status

    view = await dispatch.case(case_id, TH_ECOLOGY)
    assert [a["action"] for a in view["actions"]] == [
        "dispatched",
        "accept",
        "progress",
        "suspend",
        "resume",
        "reply",
        "close",
    ]
    events = await dispatch.published(case_id, 7)
    assert [e["event_type"] for e in events] == [
        "CaseDispatched",
        "CaseAccepted",
        "CaseProgressNoted",
        "CaseSuspended",
        "CaseResumed",
        "CaseReplied",
        "CaseClosed",
    ]
    first = events[0]["payload"]
    assert first["unit"] == TH_ECOLOGY and first["rule_id"] == "r-env.noise.construction"
    assert first["routing_version"] == 1 and first["district_code"] == "440106" and first["unit_name"]
    assert first["category"] == "env.noise.construction" and first["received_at"]
    assert all(e["actor"] == {"role": "department", "id": "test-department", "unit": TH_ECOLOGY} for e in events[1:])
    assert events[-1]["payload"]["resolved"] is True


async def test_anonymous_and_unmasked_requesters_never_show_in_full(dispatch):
    anonymous = await dispatch.receive(anonymous=True, requester=None)
    raw = await dispatch.receive(requester={"name": "李小明", "phone": "13912345678"})
    assert (await dispatch.case(anonymous, TH_ECOLOGY))["requester"] is None
    assert (await dispatch.case(raw, TH_ECOLOGY))["requester"] == {"name": "李**", "phone": "139****5678"}


async def test_every_action_the_state_does_not_allow_is_refused_with_409_and_the_reason(dispatch):
    case_id = await dispatch.receive()
    refused = [
        ("reply", {"content": "x", "resolved": True}),
        ("close", None),
        ("progress", {"note": "x"}),
        ("suspend", {"reason": "x"}),
        ("resume", None),
    ]
    for action, body in refused:
        response = await dispatch.act(case_id, action, TH_ECOLOGY, body)
        assert response.status_code == 409, (action, response.text)
        assert response.json()["error"]["message"]
    assert (await dispatch.act(case_id, "accept", TH_ECOLOGY)).status_code == 200
    assert (await dispatch.act(case_id, "accept", TH_ECOLOGY)).status_code == 409
    assert (
        (await dispatch.act(case_id, "close", TH_ECOLOGY))
        .json()["error"]["message"]
        .startswith("a case can be closed only after a reply")
    )
    assert (await dispatch.act(case_id, "reply", TH_ECOLOGY, {"content": "ok", "resolved": False})).status_code == 200
    for action, body in [
        ("accept", None),
        ("return", {"reason": "x"}),
        ("transfer", {"to_unit": "GZ-TH-CG", "reason": "x"}),
        ("progress", {"note": "x"}),
        ("reply", {"content": "x", "resolved": True}),
    ]:
        assert (await dispatch.act(case_id, action, TH_ECOLOGY, body)).status_code == 409, action
    coordination = await dispatch.act(case_id, "coordinate", "GZ-TH-PA", {"lead_unit": "GZ-TH-CG"}, Role.COORDINATION)
    assert coordination.status_code == 404


async def test_a_department_can_neither_see_nor_act_on_another_departments_case(dispatch):
    case_id = await dispatch.receive()
    other = "GZ-TH-CG"
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", other)).status_code == 404
    assert (await dispatch.get("/v1/work/cases", other)).json()["total"] == 0
    bodies = {
        "return": {"reason": "x"},
        "transfer": {"to_unit": "GZ-TH-SW", "reason": "x"},
        "progress": {"note": "x"},
        "suspend": {"reason": "x"},
        "reply": {"content": "x", "resolved": True},
    }
    for action in ("accept", "return", "transfer", "progress", "suspend", "resume", "reply", "close"):
        response = await dispatch.act(case_id, action, other, bodies.get(action))
        assert response.status_code == 404, (action, response.text)
    assert (await dispatch.act(case_id, "accept", "GZ-TH-PA", role=Role.COORDINATION)).status_code == 403
    assert (await dispatch.act(case_id, "coordinate", TH_ECOLOGY, {"lead_unit": other})).status_code == 403
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", None, Role.HOTLINE)).status_code == 403
    assert (await dispatch.svc.client.get(f"/v1/work/cases/{case_id}")).status_code == 401
    assert (await dispatch.case(case_id, TH_ECOLOGY))["status"] == "dispatched"  # nothing happened to it


async def test_a_token_whose_unit_does_not_fit_its_role_is_refused_with_the_reason(dispatch):
    # A department token naming a coordination institution, and a coordination token naming a department: neither
    # reads or acts as the unit it names (a minted token cannot turn a unit into what it is not).
    case_id = await dispatch.receive()
    for unit, role in (("GZ-TH-PA", Role.DEPARTMENT), (TH_ECOLOGY, Role.COORDINATION)):
        answers = [
            await dispatch.get("/v1/work/cases", unit, role),  # the work routes both roles share
            await dispatch.get(f"/v1/work/cases/{case_id}", unit, role),
        ]
        if role is Role.DEPARTMENT:  # a department's own action (a coordination token is refused it by role anyway)
            answers.append(await dispatch.act(case_id, "accept", unit, role=role))
        for response in answers:
            assert response.status_code == 403, (unit, role, response.text)
            assert response.json()["error"]["code"] == "unit_not_for_role", response.text
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", TH_ECOLOGY)).status_code == 200  # its own, fitting token
