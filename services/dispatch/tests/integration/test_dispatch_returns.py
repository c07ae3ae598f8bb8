"""退单 never bounces: the next candidate of the routing table, else coordination; the reason travels with the case."""

from __future__ import annotations

from caseflow_common.auth import Role

TH_ECOLOGY, TH_URBAN, TH_HOUSING = "GZ-TH-HJ", "GZ-TH-CG", "GZ-TH-ZJ"
TH_001_OFFICE, STREET_CENTRE = "GZ-TH-001-JD", "GZ-TH-001-ZZ"


async def test_a_returned_case_goes_to_the_next_candidate_and_never_back_to_the_unit_that_returned_it(dispatch):
    case_id = await dispatch.receive(category="urban.road_occupation")
    returned = await dispatch.act(case_id, "return", TH_001_OFFICE, {"reason": "属于城管执法范围，非街道职责"})
    assert returned.status_code == 200, returned.text
    assert (returned.json()["unit"], returned.json()["role"]) == (TH_URBAN, "none")
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", TH_001_OFFICE)).status_code == 404
    assert (await dispatch.get("/v1/work/cases", TH_001_OFFICE)).json()["total"] == 0

    view = await dispatch.case(case_id, TH_URBAN)
    assert view["status"] == "dispatched" and view["returned_by"] == [TH_001_OFFICE]
    assert view["handover"] == {
        "from_unit": TH_001_OFFICE,
        "from_unit_name": "五山街道办事处",
        "reason": "属于城管执法范围，非街道职责",
    }
    assert view["routing"] == {"rule_id": "r-urban.road_occupation", "version": 1, "reason": "rule"}

    events = await dispatch.published(case_id, 3)
    assert [(e["event_type"], e["payload"]["unit"]) for e in events] == [
        ("CaseDispatched", TH_001_OFFICE),
        ("CaseReturned", TH_001_OFFICE),
        ("CaseDispatched", TH_URBAN),
    ]
    redispatched = events[2]["payload"]
    assert redispatched["reason"] == "redispatch" and redispatched["rule_id"] == "r-urban.road_occupation"
    assert (redispatched["from_unit"], redispatched["from_reason"]) == (TH_001_OFFICE, "属于城管执法范围，非街道职责")


async def test_a_case_whose_table_names_no_other_unit_goes_to_coordination_on_the_first_return(dispatch):
    case_id = await dispatch.receive()  # construction noise: only the district ecology bureau by the table
    returned = (await dispatch.act(case_id, "return", TH_ECOLOGY, {"reason": "系市政道路施工，归城管"})).json()
    assert (returned["status"], returned["unit"], returned["returns"]) == ("coordinating", STREET_CENTRE, 1)
    view = await dispatch.case(case_id, STREET_CENTRE, Role.COORDINATION)
    assert view["handover"]["from_unit"] == TH_ECOLOGY and view["handover"]["reason"] == "系市政道路施工，归城管"
    sent = (await dispatch.published(case_id, 3))[2]
    assert sent["event_type"] == "CaseSentToCoordination" and sent["payload"]["reason"] == "returns"
    assert sent["payload"]["from_unit"] == TH_ECOLOGY and sent["payload"]["from_reason"] == "系市政道路施工，归城管"


async def test_a_suggested_unit_takes_the_case_but_a_unit_that_returned_it_cannot_be_suggested(dispatch):
    case_id = await dispatch.receive(category="urban.road_occupation")
    first = await dispatch.act(case_id, "return", TH_001_OFFICE, {"reason": "属房屋管理", "suggested_unit": TH_HOUSING})
    assert first.json()["unit"] == TH_HOUSING
    back = await dispatch.act(case_id, "return", TH_HOUSING, {"reason": "非本单位", "suggested_unit": TH_001_OFFICE})
    assert back.status_code == 422 and "returned this case already" in back.json()["error"]["message"]
    assert (await dispatch.case(case_id, TH_HOUSING))["status"] == "dispatched"  # nothing happened to it


async def test_a_lead_that_returns_its_case_hands_it_back_to_the_institution_that_named_it(dispatch):
    case_id = await dispatch.receive(category="care.vagrancy")
    named = await dispatch.act(
        case_id, "coordinate", STREET_CENTRE, {"lead_unit": TH_URBAN, "instructions": "城管牵头"}, Role.COORDINATION
    )
    assert named.status_code == 200, named.text
    back = (await dispatch.act(case_id, "return", TH_URBAN, {"reason": "应由民政牵头救助"})).json()
    assert (back["status"], back["unit"]) == ("coordinating", STREET_CENTRE)
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", TH_URBAN)).status_code == 404
    view = await dispatch.case(case_id, STREET_CENTRE, Role.COORDINATION)
    assert view["handover"]["reason"] == "应由民政牵头救助" and view["lead_unit"] is None
