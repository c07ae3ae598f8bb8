"""Returns that end in coordination, coordination naming lead and assisting units, routing to coordination."""

from __future__ import annotations

from caseflow_common.auth import Role

TH_ECOLOGY, TH_URBAN, TH_WATER = "GZ-TH-HJ", "GZ-TH-CG", "GZ-TH-SW"
TH_001_OFFICE = "GZ-TH-001-JD"  # 五山街道办事处: the demo's street override for road occupation in 五山
STREET_CENTRE = "GZ-TH-001-ZZ"  # the street's 综治中心 covers a case inside one street (GZ Art. 10)


async def test_a_case_returned_twice_goes_to_coordination_which_names_a_lead_and_assisting_units(dispatch):
    case_id = await dispatch.receive(category="urban.road_occupation")
    first = await dispatch.act(case_id, "return", TH_001_OFFICE, {"reason": "属城管执法事项"})
    assert first.status_code == 200 and first.json()["status"] == "dispatched" and first.json()["returns"] == 1
    assert first.json()["unit"] == TH_URBAN  # the next candidate of the table, not the unit that returned it
    assert (await dispatch.act(case_id, "accept", TH_URBAN)).status_code == 200
    second = (await dispatch.act(case_id, "return", TH_URBAN, {"reason": "仍不属于本单位"})).json()
    assert second["status"] == "coordinating" and second["unit"] == STREET_CENTRE
    assert second["routing"]["reason"] == "returns"
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", TH_URBAN)).status_code == 404

    queue = (await dispatch.get("/v1/work/cases", STREET_CENTRE, Role.COORDINATION)).json()
    assert [c["case_id"] for c in queue["items"]] == [case_id]
    unknown = await dispatch.act(case_id, "coordinate", STREET_CENTRE, {"lead_unit": "NOPE"}, Role.COORDINATION)
    assert unknown.status_code == 422
    coordinated = await dispatch.act(
        case_id,
        "coordinate",
        STREET_CENTRE,
        {"lead_unit": TH_URBAN, "assisting_units": [TH_ECOLOGY, TH_WATER], "instructions": "城管牵头"},
        Role.COORDINATION,
    )
    assert coordinated.status_code == 200, coordinated.text

    lead = await dispatch.case(case_id, TH_URBAN)
    assert lead["role"] == "lead" and lead["status"] == "dispatched"
    assert lead["lead_unit"] == TH_URBAN and lead["assisting_units"] == [TH_ECOLOGY, TH_WATER]
    assert lead["handover"]["from_unit"] == STREET_CENTRE and lead["handover"]["reason"] == "城管牵头"
    assisting = (await dispatch.get("/v1/work/cases", TH_WATER)).json()["items"]
    assert [(c["case_id"], c["role"]) for c in assisting] == [(case_id, "assisting")]
    assert (await dispatch.act(case_id, "accept", TH_WATER)).status_code == 403
    assert (await dispatch.act(case_id, "accept", TH_URBAN)).status_code == 200
    assert (await dispatch.act(case_id, "progress", TH_WATER, {"note": "排水已配合检查"})).status_code == 200
    assert (await dispatch.case(case_id, STREET_CENTRE, Role.COORDINATION))["role"] == "coordination"

    events = await dispatch.published(case_id, 11)
    assert [(e["event_type"], e["payload"]["unit"], e["payload"].get("role")) for e in events] == [
        ("CaseDispatched", TH_001_OFFICE, "sole"),
        ("CaseReturned", TH_001_OFFICE, None),
        ("CaseDispatched", TH_URBAN, "sole"),
        ("CaseAccepted", TH_URBAN, None),
        ("CaseReturned", TH_URBAN, None),
        ("CaseSentToCoordination", STREET_CENTRE, None),
        ("CaseCoordinated", STREET_CENTRE, None),
        ("CaseDispatched", TH_URBAN, "lead"),
        ("CaseDispatched", TH_ECOLOGY, "assisting"),
        ("CaseDispatched", TH_WATER, "assisting"),
        ("CaseAccepted", TH_URBAN, None),
    ]
    assert events[4]["payload"]["next_step"] == "coordination" and events[5]["payload"]["reason"] == "returns"
    assert events[4]["payload"]["returned_by"] == [TH_001_OFFICE, TH_URBAN]
    assert events[6]["payload"]["lead_unit"] == TH_URBAN


async def test_multi_department_and_unmatched_cases_go_to_the_lowest_covering_coordination_institution(dispatch):
    vagrancy = await dispatch.receive(category="care.vagrancy")
    unmatched = await dispatch.receive(category="other.unclassified", region="440105")
    assert (await dispatch.case(vagrancy, STREET_CENTRE, Role.COORDINATION))["routing"]["reason"] == "multi_department"
    view = await dispatch.case(unmatched, "GZ-HZ-PA", Role.COORDINATION)
    assert view["status"] == "coordinating" and view["routing"]["reason"] == "no_rule"
    sent = (await dispatch.published(unmatched, 1))[0]
    assert sent["event_type"] == "CaseSentToCoordination" and sent["payload"]["level"] == "district"
