"""Coordination steered as GZ Art. 10 and SZ Art. 24 describe: several regions per report, 提请协调 by a department,
passing a case up a level, units named within the institution's area, assisting units with their own part."""

from __future__ import annotations

import uuid
from datetime import timedelta

from caseflow_common.auth import Role
from caseflow_common.contracts.intake import CaseReceived
from caseflow_common.events import Actor, new_event
from caseflow_common.testing import wait_for

TH_ECOLOGY, TH_URBAN, TH_WATER, TH_CIVIL = "GZ-TH-HJ", "GZ-TH-CG", "GZ-TH-SW", "GZ-TH-MZ"
STREET_CENTRE, TH_OFFICE, CITY_OFFICE = "GZ-TH-001-ZZ", "GZ-TH-PA", "GZ-PA"
INTAKE = Actor(role="system", id="intake")


async def receive_spanning(dispatch, category: str, regions: list[str]) -> str:
    """A CaseReceived naming several regions (``region_codes``, read from the payload as intake sends it)."""
    case_id = f"C-{uuid.uuid4().hex[:12]}"
    payload = CaseReceived(
        channel="hotline",
        external_id=f"X-{case_id}",
        category=category,
        urgency="normal",
        description="跨街道的问题",
        region_code=regions[0],
        received_at=dispatch.clock() - timedelta(minutes=5),
    )
    env = new_event(payload, case_id=case_id, producer="intake", actor=INTAKE, occurred_at=dispatch.clock())
    env.payload["region_codes"] = regions
    await dispatch.send_envelope(env)
    await wait_for(lambda: dispatch.routed(case_id), timeout=20)
    return case_id


async def test_a_report_naming_several_regions_goes_to_the_lowest_institution_covering_them_all(dispatch):
    two_streets = await receive_spanning(dispatch, "care.vagrancy", ["440106001001", "440106002001"])
    two_districts = await receive_spanning(dispatch, "env.noise.construction", ["440106001", "440105001"])
    one_street = await receive_spanning(dispatch, "care.vagrancy", ["440106001001", "440106001002-01"])
    assert (await dispatch.case(two_streets, TH_OFFICE, Role.COORDINATION))["region_codes"] == [
        "440106001001",
        "440106002001",
    ]
    across = await dispatch.case(two_districts, CITY_OFFICE, Role.COORDINATION)
    assert across["routing"]["reason"] == "cross_region"
    assert (await dispatch.case(one_street, STREET_CENTRE, Role.COORDINATION))["status"] == "coordinating"
    sent = (await dispatch.published(two_streets, 1))[0]["payload"]
    assert (sent["unit"], sent["level"], sent["region_codes"]) == (
        TH_OFFICE,
        "district",
        ["440106001001", "440106002001"],
    )


async def test_a_department_asks_for_coordination_with_a_reason_and_the_street_centre_takes_it(dispatch):
    case_id = await dispatch.receive()
    assert (await dispatch.act(case_id, "accept", TH_ECOLOGY)).status_code == 200
    assert (await dispatch.act(case_id, "refer", TH_ECOLOGY, {"reason": " "})).status_code == 422
    referred = await dispatch.act(case_id, "refer", TH_ECOLOGY, {"reason": "工地涉及住建、城管多部门，提请协调"})
    assert referred.status_code == 200, referred.text
    assert (referred.json()["status"], referred.json()["unit"]) == ("coordinating", STREET_CENTRE)
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", TH_ECOLOGY)).status_code == 404
    view = await dispatch.case(case_id, STREET_CENTRE, Role.COORDINATION)
    assert view["handover"]["reason"] == "工地涉及住建、城管多部门，提请协调"
    assert view["routing"]["reason"] == "referred"
    sent = (await dispatch.published(case_id, 3))[2]
    assert sent["event_type"] == "CaseSentToCoordination" and sent["actor"]["unit"] == TH_ECOLOGY
    assert (sent["payload"]["cause"], sent["payload"]["from_unit"], sent["payload"]["level"]) == (
        "referred",
        TH_ECOLOGY,
        "street",
    )
    coordination = await dispatch.act(case_id, "refer", STREET_CENTRE, {"reason": "x"}, Role.COORDINATION)
    assert coordination.status_code == 403


async def test_a_street_centre_passes_a_case_up_to_the_district_office_which_passes_it_to_the_city(dispatch):
    case_id = await dispatch.receive(category="care.vagrancy")
    assert (await dispatch.act(case_id, "escalate", TH_ECOLOGY, {"reason": "x"})).status_code == 403
    up = await dispatch.act(case_id, "escalate", STREET_CENTRE, {"reason": "需区级统筹"}, Role.COORDINATION)
    assert up.status_code == 200, up.text
    assert (up.json()["unit"], up.json()["role"]) == (TH_OFFICE, "none")
    assert (await dispatch.get(f"/v1/work/cases/{case_id}", STREET_CENTRE, Role.COORDINATION)).status_code == 404
    district = await dispatch.case(case_id, TH_OFFICE, Role.COORDINATION)
    assert district["handover"]["from_unit"] == STREET_CENTRE and district["handover"]["reason"] == "需区级统筹"
    top = await dispatch.act(case_id, "escalate", TH_OFFICE, {"reason": "涉及市级部门"}, Role.COORDINATION)
    assert top.json()["unit"] == CITY_OFFICE
    none_above = await dispatch.act(case_id, "escalate", CITY_OFFICE, {"reason": "x"}, Role.COORDINATION)
    assert none_above.status_code == 422 and "no level above" in none_above.json()["error"]["message"]
    events = await dispatch.published(case_id, 3)
    assert [(e["payload"]["unit"], e["payload"]["level"], e["payload"]["cause"]) for e in events] == [
        (STREET_CENTRE, "street", None),
        (TH_OFFICE, "district", "escalated"),
        (CITY_OFFICE, "city", "escalated"),
    ]
    assert events[1]["payload"]["reason"] == "multi_department"  # why it needs coordination is unchanged


async def test_an_institution_names_lead_and_assisting_units_within_its_own_area_only(dispatch):
    case_id = await dispatch.receive(category="care.vagrancy")
    far = await dispatch.act(
        case_id, "coordinate", STREET_CENTRE, {"lead_unit": "GZ-PY-CG"}, Role.COORDINATION
    )  # 番禺区城管: another district
    assert far.status_code == 422 and "GZ-PY-CG outside the area of GZ-TH-001-ZZ" in far.json()["error"]["message"]
    other_street = await dispatch.act(
        case_id,
        "coordinate",
        STREET_CENTRE,
        {"lead_unit": TH_CIVIL, "assisting_units": ["GZ-TH-002-JD", "GZ-MZ"]},
        Role.COORDINATION,
    )
    assert other_street.status_code == 422
    assert "GZ-TH-002-JD, GZ-MZ outside" in other_street.json()["error"]["message"]
    assert (await dispatch.case(case_id, STREET_CENTRE, Role.COORDINATION))["status"] == "coordinating"
    ok = await dispatch.act(
        case_id,
        "coordinate",
        STREET_CENTRE,
        {"lead_unit": TH_CIVIL, "assisting_units": ["GZ-TH-001-JD", TH_URBAN]},
        Role.COORDINATION,
    )
    assert ok.status_code == 200, ok.text

    city_case = await receive_spanning(dispatch, "care.vagrancy", ["440106001", "440113001"])
    anyone = await dispatch.act(
        city_case,
        "coordinate",
        CITY_OFFICE,
        {"lead_unit": "GZ-MZ", "assisting_units": ["GZ-PY-CG", "GZ-TH-001-JD"]},
        Role.COORDINATION,
    )
    assert anyone.status_code == 200, anyone.text


async def test_assisting_units_get_their_own_dispatch_add_notes_and_a_part_reply_the_lead_sees(dispatch):
    case_id = await dispatch.receive(category="care.vagrancy")
    named = await dispatch.act(
        case_id,
        "coordinate",
        STREET_CENTRE,
        {"lead_unit": TH_CIVIL, "assisting_units": [TH_URBAN, TH_WATER], "instructions": "民政牵头救助"},
        Role.COORDINATION,
    )
    assert named.status_code == 200, named.text
    assert (await dispatch.act(case_id, "accept", TH_CIVIL)).status_code == 200
    note = await dispatch.act(case_id, "progress", TH_URBAN, {"note": "已清理占道杂物"})
    assert note.status_code == 200 and note.json()["role"] == "assisting"
    part = await dispatch.act(case_id, "part-reply", TH_URBAN, {"content": "城管部分已办结：劝离并清理现场"})
    assert part.status_code == 200, part.text
    assert (await dispatch.act(case_id, "part-reply", TH_URBAN, {"content": "again"})).status_code == 409
    assert (await dispatch.act(case_id, "part-reply", TH_CIVIL, {"content": "x"})).status_code == 403
    assert (await dispatch.act(case_id, "reply", TH_URBAN, {"content": "x", "resolved": True})).status_code == 403

    lead = await dispatch.case(case_id, TH_CIVIL)
    parts = {p["unit"]: p for p in lead["assisting"]}
    assert parts[TH_URBAN]["part_reply"]["content"] == "城管部分已办结：劝离并清理现场"
    assert [n["note"] for n in parts[TH_URBAN]["notes"]] == ["已清理占道杂物"]
    assert parts[TH_WATER]["part_reply"] is None and parts[TH_WATER]["assigned_at"]
    assert (await dispatch.case(case_id, TH_WATER))["assisting"][0]["unit"] == TH_URBAN  # they see each other

    events = await dispatch.published(case_id, 8)
    assisting = [
        e["payload"] for e in events if e["event_type"] == "CaseDispatched" and e["payload"]["role"] == "assisting"
    ]
    assert [(p["unit"], p["role"], bool(p["at"])) for p in assisting] == [
        (TH_URBAN, "assisting", True),
        (TH_WATER, "assisting", True),
    ]
    noted, replied = events[6], events[7]
    assert (noted["event_type"], noted["payload"]["unit"], noted["payload"]["role"]) == (
        "CaseProgressNoted",
        TH_URBAN,
        "assisting",
    )
    assert (replied["event_type"], replied["payload"]["role"], replied["payload"]["lead_unit"]) == (
        "CasePartReplied",
        "assisting",
        TH_CIVIL,
    )
