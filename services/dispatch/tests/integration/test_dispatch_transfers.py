"""移送: the receiver gets a fresh assignment, the giver loses access; suspected crime: the police get a linked case
while the department keeps its own handling (GZ Art. 20 ¶3; SZ Art. 28 ¶2)."""

from __future__ import annotations

from datetime import datetime

from caseflow_common.auth import Role

TH_ECOLOGY, TH_URBAN, TH_WATER, TH_POLICE = "GZ-TH-HJ", "GZ-TH-CG", "GZ-TH-SW", "GZ-TH-GA"
STREET_CENTRE = "GZ-TH-001-ZZ"


async def test_a_case_transferred_after_signing_for_is_a_fresh_assignment_of_the_receiver_and_gone_for_the_giver(
    dispatch,
):
    case_id = await dispatch.receive()
    assert (await dispatch.act(case_id, "accept", TH_ECOLOGY)).status_code == 200
    dispatch.clock.advance(minutes=30)
    moved = await dispatch.act(case_id, "transfer", TH_ECOLOGY, {"to_unit": TH_URBAN, "reason": "属违法建设施工"})
    assert moved.status_code == 200 and moved.json()["role"] == "none"
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", TH_ECOLOGY)).status_code == 404
    assert (await dispatch.get("/v1/work/cases", TH_ECOLOGY)).json()["total"] == 0

    view = await dispatch.case(case_id, TH_URBAN)
    assert (view["status"], view["role"], view["transfers"]) == ("dispatched", "sole", 1)
    assert view["dispatched_at"] == dispatch.clock().isoformat()
    assert view["handover"]["from_unit"] == TH_ECOLOGY and view["handover"]["reason"] == "属违法建设施工"
    assert [(a["action"], a["unit"]) for a in view["actions"]][:3] == [
        ("dispatched", TH_ECOLOGY),
        ("accept", TH_ECOLOGY),
        ("transfer", TH_ECOLOGY),
    ]  # the giver's past steps stay in the record
    assert (await dispatch.act(case_id, "accept", TH_URBAN)).status_code == 200
    assert (await dispatch.act(case_id, "reply", TH_ECOLOGY, {"content": "x", "resolved": True})).status_code == 404

    events = await dispatch.published(case_id, 5)
    assert [(e["event_type"], e["payload"]["unit"]) for e in events] == [
        ("CaseDispatched", TH_ECOLOGY),
        ("CaseAccepted", TH_ECOLOGY),
        ("CaseTransferred", TH_ECOLOGY),
        ("CaseDispatched", TH_URBAN),
        ("CaseAccepted", TH_URBAN),
    ]
    transferred, dispatched = events[2]["payload"], events[3]["payload"]
    assert (transferred["to_unit"], transferred["cycle"], transferred["role"]) == (TH_URBAN, 1, "sole")
    assert datetime.fromisoformat(transferred["at"]) == dispatch.clock()
    assert transferred["to_unit_name"] == "天河区城市管理和综合执法局"
    assert (dispatched["reason"], dispatched["from_unit"], dispatched["at"]) == (
        "transfer",
        TH_ECOLOGY,
        transferred["at"],
    )


async def test_a_lead_that_transfers_its_case_loses_access_and_the_receiver_becomes_the_lead(dispatch):
    case_id = await dispatch.receive(category="care.vagrancy")
    named = await dispatch.act(
        case_id,
        "coordinate",
        STREET_CENTRE,
        {"lead_unit": TH_URBAN, "assisting_units": [TH_WATER]},
        Role.COORDINATION,
    )
    assert named.status_code == 200, named.text
    assert (await dispatch.act(case_id, "accept", TH_URBAN)).status_code == 200
    moved = await dispatch.act(case_id, "transfer", TH_URBAN, {"to_unit": "GZ-TH-MZ", "reason": "救助归民政"})
    assert moved.status_code == 200, moved.text
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", TH_URBAN)).status_code == 404
    assert (await dispatch.get("/v1/work/cases", TH_URBAN)).json()["total"] == 0
    view = await dispatch.case(case_id, "GZ-TH-MZ")
    assert (view["role"], view["lead_unit"], view["assisting_units"]) == ("lead", "GZ-TH-MZ", [TH_WATER])
    transferred = (await dispatch.published(case_id, 6))[5]
    assert transferred["event_type"] == "CaseTransferred" and transferred["payload"]["role"] == "lead"


async def test_a_department_notifies_the_police_of_a_suspected_crime_and_keeps_its_own_handling(dispatch):
    case_id = await dispatch.receive(category="housing.rental_safety", region="440106002001")
    unit = "GZ-TH-LS"  # 来穗人员服务管理局: rental housing
    early = await dispatch.act(case_id, "notify-police", unit, {"reason": "疑似群租房内组织卖淫"})
    assert early.status_code == 409  # signed for first
    assert (await dispatch.act(case_id, "accept", unit)).status_code == 200
    notified = await dispatch.act(case_id, "notify-police", unit, {"reason": "疑似群租房内组织卖淫"})
    assert notified.status_code == 200, notified.text
    police_case = notified.json()["police_case_id"]
    assert police_case == f"{case_id}-GA" and notified.json()["status"] == "accepted"
    again = await dispatch.act(case_id, "notify-police", unit, {"reason": "再次通报"})
    assert again.status_code == 409

    queue = (await dispatch.get("/v1/work/cases", TH_POLICE)).json()["items"]
    assert [(c["case_id"], c["linked_case_id"], c["status"]) for c in queue] == [(police_case, case_id, "dispatched")]
    linked = await dispatch.case(police_case, TH_POLICE)
    assert linked["handover"]["from_unit"] == unit and linked["handover"]["reason"] == "疑似群租房内组织卖淫"
    assert linked["requester"] == {"name": "张*", "phone": "138****5678"}
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", TH_POLICE)).status_code == 404
    assert (await dispatch.get(f"/v1/work/cases/{police_case}", unit)).status_code == 404
    for action, body in [("accept", None), ("reply", {"content": "已立案侦查", "resolved": True}), ("close", None)]:
        assert (await dispatch.act(police_case, action, TH_POLICE, body)).status_code == 200, action
    assert (await dispatch.act(case_id, "reply", unit, {"content": "已整治", "resolved": True})).status_code == 200

    notice = (await dispatch.published(case_id, 3))[2]
    assert notice["event_type"] == "CasePoliceNotified"
    assert notice["payload"] | {"at": None} == {
        "unit": unit,
        "at": None,
        "cycle": 1,
        "police_unit": TH_POLICE,
        "linked_case_id": police_case,
        "reason": "疑似群租房内组织卖淫",
    }
    opened = (await dispatch.published(police_case, 1))[0]
    assert opened["event_type"] == "CaseDispatched" and opened["correlation_id"] == case_id
    payload = opened["payload"]
    assert (payload["unit"], payload["reason"], payload["linked_case_id"], payload["from_unit"]) == (
        TH_POLICE,
        "police_notice",
        case_id,
        unit,
    )
    assert payload["category"] == "housing.rental_safety" and payload["district_code"] == "440106"


async def test_only_a_public_security_unit_can_be_notified_as_the_police(dispatch):
    case_id = await dispatch.receive()
    assert (await dispatch.act(case_id, "accept", TH_ECOLOGY)).status_code == 200
    wrong = await dispatch.act(case_id, "notify-police", TH_ECOLOGY, {"reason": "x", "police_unit": TH_URBAN})
    assert wrong.status_code == 422 and "not a public_security unit" in wrong.json()["error"]["message"]
    city = await dispatch.act(case_id, "notify-police", TH_ECOLOGY, {"reason": "跨区团伙", "police_unit": "GZ-GA"})
    assert city.status_code == 200 and (await dispatch.case(city.json()["police_case_id"], "GZ-GA"))["status"]


async def test_a_police_case_the_police_return_goes_to_coordination_not_to_the_department_that_notified_them(
    dispatch,
):
    case_id = await dispatch.receive(category="housing.rental_safety", region="440106002001")
    assert (await dispatch.act(case_id, "accept", "GZ-TH-LS")).status_code == 200
    police_case = (await dispatch.act(case_id, "notify-police", "GZ-TH-LS", {"reason": "疑似诈骗窝点"})).json()[
        "police_case_id"
    ]
    back = (await dispatch.act(police_case, "return", TH_POLICE, {"reason": "经核查无违法犯罪线索"})).json()
    assert (back["status"], back["unit"]) == ("coordinating", "GZ-TH-002-ZZ")
    assert (await dispatch.case(case_id, "GZ-TH-LS"))["status"] == "accepted"
