"""The directory edited at run time (GZ Art. 5; SZ Art. 8): units and regions added, renamed and retired, each change
a version in force from its effective date; a retired unit's open cases re-routed as a re-dispatch is."""

from __future__ import annotations

from datetime import timedelta

from caseflow_common.auth import Role
from caseflow_common.contracts.dispatch import DIRECTORY_RECORD
from caseflow_common.testing import auth_header, wait_for

ADMIN = auth_header(Role.ADMIN)
TH_ECOLOGY, CITY_ECOLOGY, TH_STREET_OFFICE = "GZ-TH-HJ", "GZ-HJ", "GZ-TH-001-JD"
NEW_ECOLOGY = {"code": "GZ-TH-HJ2", "name": "天河区生态环境分局(新)", "level": "district", "kind": "ecology"}


async def test_a_unit_added_then_renamed_from_a_future_date_shows_by_date_and_by_version(dispatch):
    client, anyone = dispatch.svc.client, auth_header(Role.HOTLINE)
    added = await client.post("/v1/admin/units", json={**NEW_ECOLOGY, "region": "440106"}, headers=ADMIN)
    assert added.status_code == 201, added.text
    assert (added.json()["version"], added.json()["in_force"], added.json()["op"]) == (2, True, "add_unit")
    assert (await client.get("/v1/departments/GZ-TH-HJ2", headers=anyone)).json()["name"] == NEW_ECOLOGY["name"]

    tomorrow = (dispatch.clock() + timedelta(days=1)).date().isoformat()
    renamed = await client.patch(
        "/v1/admin/units/GZ-TH-HJ2", json={"name": "天河区生态环境局", "effective_from": tomorrow}, headers=ADMIN
    )
    assert renamed.status_code == 200 and renamed.json()["in_force"] is False, renamed.text
    later = (dispatch.clock() + timedelta(days=2)).isoformat()
    now_view = (
        await client.get("/v1/departments", headers=anyone, params={"region": "440106", "kind": "ecology"})
    ).json()
    assert {u["name"] for u in now_view["items"] if u["code"] == "GZ-TH-HJ2"} == {NEW_ECOLOGY["name"]}
    assert now_view["directory_version"] == 2
    future = await client.get("/v1/departments/GZ-TH-HJ2", headers=anyone, params={"as_of": later})
    assert future.json()["name"] == "天河区生态环境局"
    as_recorded = await client.get("/v1/departments/GZ-TH-HJ2", headers=anyone, params={"as_of": later, "version": 2})
    assert as_recorded.json()["name"] == NEW_ECOLOGY["name"]
    assert (await client.get("/v1/departments/GZ-TH-HJ2", headers=anyone, params={"version": 1})).status_code == 404
    assert (await client.get("/v1/departments", headers=anyone, params={"version": 99})).status_code == 404

    dispatch.clock.advance(days=2)  # the rename's date came
    assert (await client.get("/v1/departments/GZ-TH-HJ2", headers=anyone)).json()["name"] == "天河区生态环境局"
    log = (await client.get("/v1/admin/directory", headers=ADMIN)).json()
    assert [(v["version"], v["op"], v["in_force"]) for v in log["items"]] == [
        (1, "seed", True),
        (2, "add_unit", True),
        (3, "rename_unit", True),
    ]
    assert (await client.get("/v1/admin/directory/3", headers=ADMIN)).json()["change"] == {"name": "天河区生态环境局"}
    # Published for the services keeping a copy, with the date each change takes effect.
    published = [e["payload"] for e in await dispatch.published(DIRECTORY_RECORD, 2)]
    assert [(p["directory_version"], p["op"], p["entry"]["name"]) for p in published] == [
        (2, "add_unit", NEW_ECOLOGY["name"]),
        (3, "rename_unit", "天河区生态环境局"),
    ]
    assert published[0]["entry"]["region"] == "440106" and published[1]["effective_from"].startswith(tomorrow)


async def test_directory_changes_are_refused_with_a_clear_reason(dispatch):
    client = dispatch.svc.client
    unit = {**NEW_ECOLOGY, "region": "440106"}
    assert (
        await client.post("/v1/admin/units", json=unit, headers=auth_header(Role.DEPARTMENT, TH_ECOLOGY))
    ).status_code == 403
    duplicate = await client.post("/v1/admin/units", json={**unit, "code": TH_ECOLOGY}, headers=ADMIN)
    assert duplicate.status_code == 409 and "taken" in duplicate.json()["error"]["message"]
    nowhere = await client.post("/v1/admin/units", json={**unit, "region": "999999"}, headers=ADMIN)
    assert nowhere.status_code == 422 and "999999" in nowhere.json()["error"]["message"]
    wrong_level = await client.post("/v1/admin/units", json={**unit, "level": "street"}, headers=ADMIN)
    assert wrong_level.status_code == 422
    past = (dispatch.clock() - timedelta(days=1)).isoformat()
    assert (
        await client.post("/v1/admin/units", json={**unit, "effective_from": past}, headers=ADMIN)
    ).status_code == 422
    assert (await client.patch("/v1/admin/units/NOPE", json={"name": "x"}, headers=ADMIN)).status_code == 404
    orphan = {"code": "440106999", "name": "新街道", "parent": "440199"}
    refused = await client.post("/v1/admin/regions", json=orphan, headers=ADMIN)
    assert refused.status_code == 422 and "parent" in refused.json()["error"]["message"]
    in_use = await client.post("/v1/admin/regions/440106/retire", json={"reason": "合并"}, headers=ADMIN)
    assert in_use.status_code == 409 and any("unit GZ-TH-HJ serves it" in d for d in in_use.json()["error"]["details"])

    street = await client.post("/v1/admin/regions", json={**orphan, "parent": "440106"}, headers=ADMIN)
    assert street.status_code == 201 and street.json()["change"]["level"] == "street", street.text
    stale = await client.patch("/v1/admin/regions/440106999", json={"name": "y", "base_version": 1}, headers=ADMIN)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    tomorrow = (dispatch.clock() + timedelta(days=1)).isoformat()
    office = {"code": "GZ-TH-999-JD", "name": "新街道办事处", "level": "street", "kind": "street_office"}
    pending = await client.post(
        "/v1/admin/units", json={**office, "region": "440106999", "effective_from": tomorrow}, headers=ADMIN
    )
    assert pending.status_code == 201
    # Retiring the street now would break the office that joins it tomorrow: the timeline must hold.
    broken = await client.post("/v1/admin/regions/440106999/retire", json={"reason": "撤销"}, headers=ADMIN)
    assert broken.status_code == 409 and "version" in broken.json()["error"]["message"]


async def test_retiring_a_unit_the_routing_table_names_needs_a_replacement_that_takes_its_rules(dispatch):
    client = dispatch.svc.client
    refused = await client.post(f"/v1/admin/units/{TH_STREET_OFFICE}/retire", json={"reason": "撤并"}, headers=ADMIN)
    assert refused.status_code == 409, refused.text
    assert "replaced_by" in refused.json()["error"]["message"]
    assert any(TH_STREET_OFFICE in d for d in refused.json()["error"]["details"])

    successor = {"code": "GZ-TH-001-JD2", "name": "五山街道办事处(新)", "level": "street", "kind": "street_office"}
    assert (
        await client.post("/v1/admin/units", json={**successor, "region": "440106001"}, headers=ADMIN)
    ).status_code == 201
    retired = await client.post(
        f"/v1/admin/units/{TH_STREET_OFFICE}/retire",
        json={"reason": "撤并", "replaced_by": "GZ-TH-001-JD2"},
        headers=ADMIN,
    )
    assert retired.status_code == 200, retired.text
    table = (await client.get("/v1/admin/routing", headers=ADMIN)).json()
    assert table["version"] == 2 and table["created_by"] == "directory:v3"
    named = {r["unit"] for r in table["rules"] if r.get("unit")}
    assert "GZ-TH-001-JD2" in named and TH_STREET_OFFICE not in named
    # A routing table naming the retired unit again is refused.
    again = [*table["rules"], {"id": "r-x", "category": "urban.road_occupation", "region": "440106002",
                               "unit": TH_STREET_OFFICE}]  # fmt: skip
    assert (await client.put("/v1/admin/routing", json={"rules": again}, headers=ADMIN)).status_code == 422


async def test_retired_unit_open_cases_rerouted_with_fresh_assignments_and_its_tokens_refused(dispatch):
    client = dispatch.svc.client
    case_id = await dispatch.receive()
    assert (await dispatch.act(case_id, "accept", TH_ECOLOGY)).status_code == 200
    dispatch.clock.advance(hours=2)

    retired = await client.post(f"/v1/admin/units/{TH_ECOLOGY}/retire", json={"reason": "机构改革"}, headers=ADMIN)
    assert retired.status_code == 200 and retired.json()["rerouted_cases"] == 1, retired.text
    view = await dispatch.case(case_id, CITY_ECOLOGY)  # the next candidate of the table: the city's bureau
    assert (view["status"], view["dispatched_at"]) == ("dispatched", dispatch.clock().isoformat())
    assert view["handover"]["from_unit"] == TH_ECOLOGY and "机构改革" in view["handover"]["reason"]
    events = await dispatch.published(case_id, 3)
    assert [(e["event_type"], e["payload"]["unit"]) for e in events] == [
        ("CaseDispatched", TH_ECOLOGY),
        ("CaseAccepted", TH_ECOLOGY),
        ("CaseDispatched", CITY_ECOLOGY),
    ]
    moved = events[2]["payload"]
    assert (moved["reason"], moved["from_unit"], moved["unit_name"]) == ("redispatch", TH_ECOLOGY, "广州市生态环境局")

    # The retired unit's tokens no longer read or act on cases.
    assert (await dispatch.get("/v1/work/cases", TH_ECOLOGY)).status_code == 403
    assert (await dispatch.act(case_id, "accept", TH_ECOLOGY)).status_code == 403
    assert (await dispatch.get(f"/v1/departments/{TH_ECOLOGY}", None, Role.HOTLINE)).status_code == 404

    # A successor in the district takes the district's new cases by the same routing rule.
    assert (
        await client.post("/v1/admin/units", json={**NEW_ECOLOGY, "region": "440106"}, headers=ADMIN)
    ).status_code == 201
    after = await dispatch.receive()
    assert (await dispatch.case(after, "GZ-TH-HJ2"))["status"] == "dispatched"


async def test_a_retirement_dated_ahead_reroutes_the_open_cases_when_its_date_comes(dispatch):
    client = dispatch.svc.client
    case_id = await dispatch.receive()
    next_week = (dispatch.clock() + timedelta(days=7)).isoformat()
    scheduled = await client.post(
        f"/v1/admin/units/{TH_ECOLOGY}/retire", json={"reason": "机构改革", "effective_from": next_week}, headers=ADMIN
    )
    assert scheduled.status_code == 200 and scheduled.json()["rerouted_cases"] == 0
    assert (await dispatch.case(case_id, TH_ECOLOGY))["status"] == "dispatched"  # still its case until then

    dispatch.clock.advance(days=8)

    async def moved() -> bool:
        return (await dispatch.get(f"/v1/work/cases/{case_id}", CITY_ECOLOGY)).status_code == 200

    await wait_for(moved, timeout=20)
    applied = (await client.get("/v1/admin/directory/2", headers=ADMIN)).json()
    assert applied["in_force"] is True and applied["applied_at"] is not None
    assert (await dispatch.get("/v1/work/cases", TH_ECOLOGY)).status_code == 403


async def test_a_retired_street_centre_passes_its_open_cases_to_the_institution_one_level_up(dispatch):
    client, centre, district_office = dispatch.svc.client, "GZ-TH-001-ZZ", "GZ-TH-PA"
    case_id = await dispatch.receive(category="dispute.cross_sector", region="440106001001")
    assert (await dispatch.case(case_id, centre, Role.COORDINATION))["status"] == "coordinating"

    retired = await client.post(f"/v1/admin/units/{centre}/retire", json={"reason": "综治中心合并"}, headers=ADMIN)
    assert retired.status_code == 200 and retired.json()["rerouted_cases"] == 1, retired.text
    view = await dispatch.case(case_id, district_office, Role.COORDINATION)
    assert view["status"] == "coordinating" and view["handover"]["from_unit"] == centre
    sent = (await dispatch.published(case_id, 2))[1]
    assert (sent["event_type"], sent["payload"]["unit"], sent["payload"]["from_unit"]) == (
        "CaseSentToCoordination",
        district_office,
        centre,
    )
    assert (await dispatch.get("/v1/work/cases", centre, Role.COORDINATION)).status_code == 403
