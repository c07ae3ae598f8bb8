"""Returns, coordination (lead and assisting units) and transfers."""

from __future__ import annotations

from caseflow_common.auth import Role

TH_ECOLOGY, TH_URBAN, TH_WATER, TH_POLICE = "GZ-TH-HJ", "GZ-TH-CG", "GZ-TH-SW", "GZ-TH-GA"
STREET_CENTRE = "GZ-TH-001-ZZ"  # the street's 综治中心 covers a case inside one street (GZ Art. 10)


async def test_a_case_returned_twice_goes_to_coordination_which_names_a_lead_and_assisting_units(dispatch):
    case_id = await dispatch.receive()
    first = await dispatch.act(case_id, "return", TH_ECOLOGY, {"reason": "不属于本单位职责"})
    assert first.status_code == 200 and first.json()["status"] == "dispatched" and first.json()["returns"] == 1
    assert (await dispatch.act(case_id, "accept", TH_ECOLOGY)).status_code == 200
    second = (await dispatch.act(case_id, "return", TH_ECOLOGY, {"reason": "仍不属于本单位"})).json()
    assert second["status"] == "coordinating" and second["unit"] == STREET_CENTRE
    assert second["routing"]["reason"] == "returns"
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", TH_ECOLOGY)).status_code == 404

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
    assisting = (await dispatch.get("/v1/work/cases", TH_WATER)).json()["items"]
    assert [(c["case_id"], c["role"]) for c in assisting] == [(case_id, "assisting")]
    assert (await dispatch.act(case_id, "accept", TH_WATER)).status_code == 403
    assert (await dispatch.act(case_id, "accept", TH_URBAN)).status_code == 200
    assert (await dispatch.act(case_id, "progress", TH_WATER, {"note": "排水已配合检查"})).status_code == 200
    assert (await dispatch.case(case_id, STREET_CENTRE, Role.COORDINATION))["role"] == "coordination"

    events = await dispatch.published(case_id, 10)
    assert [(e["event_type"], e["payload"]["unit"], e["payload"].get("role")) for e in events] == [
        ("CaseDispatched", TH_ECOLOGY, "sole"),
        ("CaseReturned", TH_ECOLOGY, None),
        ("CaseDispatched", TH_ECOLOGY, "sole"),
        ("CaseAccepted", TH_ECOLOGY, None),
        ("CaseReturned", TH_ECOLOGY, None),
        ("CaseSentToCoordination", STREET_CENTRE, None),
        ("CaseCoordinated", STREET_CENTRE, None),
        ("CaseDispatched", TH_URBAN, "lead"),
        ("CaseDispatched", TH_ECOLOGY, "assisting"),
        ("CaseDispatched", TH_WATER, "assisting"),
    ]
    assert events[4]["payload"]["next_step"] == "coordination" and events[5]["payload"]["reason"] == "returns"
    assert events[6]["payload"]["lead_unit"] == TH_URBAN


async def test_a_transferred_case_moves_to_the_unit_holding_the_duty_and_crime_goes_to_the_police(dispatch):
    case_id = await dispatch.receive()
    response = await dispatch.act(case_id, "transfer", TH_ECOLOGY, {"to_unit": TH_URBAN, "reason": "属违建"})
    assert response.status_code == 200 and response.json()["unit"] == TH_URBAN
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", TH_ECOLOGY)).status_code == 404
    assert (await dispatch.act(case_id, "accept", TH_URBAN)).status_code == 200
    crime = await dispatch.act(case_id, "transfer", TH_URBAN, {"reason": "涉嫌违法犯罪", "suspected_crime": True})
    assert crime.status_code == 200 and crime.json()["unit"] == TH_POLICE and crime.json()["transfers"] == 2
    bad = await dispatch.act(case_id, "transfer", TH_POLICE, {"to_unit": "NOPE", "reason": "x"})
    assert bad.status_code == 422
    events = await dispatch.published(case_id, 5)
    assert [(e["event_type"], e["payload"]["unit"]) for e in events] == [
        ("CaseDispatched", TH_ECOLOGY),
        ("CaseTransferred", TH_ECOLOGY),
        ("CaseDispatched", TH_URBAN),
        ("CaseAccepted", TH_URBAN),
        ("CaseTransferred", TH_URBAN),
    ]
    assert events[1]["payload"]["to_unit"] == TH_URBAN


async def test_multi_department_and_unmatched_cases_go_to_the_lowest_covering_coordination_institution(dispatch):
    vagrancy = await dispatch.receive(category="care.vagrancy")
    unmatched = await dispatch.receive(category="other.unclassified", region="440105")
    assert (await dispatch.case(vagrancy, STREET_CENTRE, Role.COORDINATION))["routing"]["reason"] == "multi_department"
    view = await dispatch.case(unmatched, "GZ-HZ-PA", Role.COORDINATION)
    assert view["status"] == "coordinating" and view["routing"]["reason"] == "no_rule"
    sent = (await dispatch.published(unmatched, 1))[0]
    assert sent["event_type"] == "CaseSentToCoordination" and sent["payload"]["level"] == "district"
