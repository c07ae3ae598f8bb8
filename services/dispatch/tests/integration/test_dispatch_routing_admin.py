"""The routing table edited at run time: validated, versioned, applied to new cases only."""

from __future__ import annotations

from caseflow_common.auth import Role
from caseflow_common.testing import auth_header


async def test_a_changed_routing_table_applies_to_new_cases_only_and_decisions_name_their_version(dispatch):
    client = dispatch.svc.client
    admin = auth_header(Role.ADMIN)
    before = await dispatch.receive()
    table = (await client.get("/v1/admin/routing", headers=admin)).json()
    assert table["version"] == 1 and table["created_by"].startswith("seed")
    rules = [r for r in table["rules"] if r["category"] != "env.noise.construction"]
    rules.append(
        {
            "id": "r-noise-urban",
            "category": "env.noise.construction",
            "region": "440100",
            "unit_kind": "urban_management",
            "level": "district",
        }
    )

    assert (
        await client.put("/v1/admin/routing", json={"rules": rules}, headers=auth_header(Role.DEPARTMENT, "GZ-TH-HJ"))
    ).status_code == 403
    broken = rules + [
        {"id": "r-x", "category": "no.such", "region": "440100", "unit": "NOPE"},
        {"id": "r-dup", "category": "env.noise.construction", "region": "440100", "unit_kind": "ecology"},
    ]
    refused = await client.put("/v1/admin/routing", json={"rules": broken}, headers=admin)
    assert refused.status_code == 422
    problems = refused.json()["error"]["details"]
    assert any("unknown category no.such" in p for p in problems)
    assert any("unknown unit NOPE" in p for p in problems)
    assert any("ambiguous" in p for p in problems)

    saved = await client.put("/v1/admin/routing", json={"rules": rules, "base_version": 1}, headers=admin)
    assert saved.status_code == 200 and saved.json()["version"] == 2
    stale = await client.put("/v1/admin/routing", json={"rules": rules, "base_version": 1}, headers=admin)
    assert stale.status_code == 409

    after = await dispatch.receive()
    old = await dispatch.case(before, "GZ-TH-HJ")
    new = await dispatch.case(after, "GZ-TH-CG")
    assert old["routing"] == {"rule_id": "r-env.noise.construction", "version": 1, "reason": "rule"}
    assert new["routing"] == {"rule_id": "r-noise-urban", "version": 2, "reason": "rule"}
    assert (await dispatch.published(after, 1))[0]["payload"]["routing_version"] == 2
    assert (await client.get("/v1/admin/routing", headers=admin, params={"version": 1})).json()["version"] == 1


async def test_the_directory_is_served_paginated_and_filtered(dispatch):
    client = dispatch.svc.client
    anyone = auth_header(Role.HOTLINE)
    centres = (
        await client.get("/v1/departments", headers=anyone, params={"kind": "coordination", "region": "440106"})
    ).json()
    assert {u["code"] for u in centres["items"]} >= {"GZ-TH-PA", "GZ-TH-001-ZZ"}
    assert all(u["kind"] == "coordination" for u in centres["items"])
    page = (await client.get("/v1/regions", headers=anyone, params={"level": "district", "page_size": 2})).json()
    assert len(page["items"]) == 2 and page["total"] > 2 and page["page_size"] == 2
    streets = (await client.get("/v1/regions", headers=anyone, params={"parent": "440106"})).json()
    assert streets["items"] and all(r["level"] == "street" for r in streets["items"])
    assert (await client.get("/v1/regions", headers=anyone, params={"page_size": 500})).status_code == 422
    assert (await client.get("/v1/departments")).status_code == 401
