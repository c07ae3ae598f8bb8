"""Inputs past the databases' integer range, or times with no UTC equivalent, are refused with 422 and the error envelope,
never a 500."""

from __future__ import annotations

import pytest

from caseflow_common.auth import Role
from caseflow_common.testing import auth_header


@pytest.mark.parametrize("page", [2**63, 2**31, 10**30])
async def test_a_queue_page_past_the_integer_range_is_refused_with_422(dispatch, page):
    response = await dispatch.get("/v1/work/cases", "GZ-TH-HJ", page=page)
    assert response.status_code == 422 and response.json()["error"]["code"]
    assert (await dispatch.get("/v1/work/cases", "GZ-TH-HJ", page=1_000_000)).status_code == 200


@pytest.mark.parametrize("version", [2**31, 2**63, 10**30])
async def test_a_routing_version_past_the_integer_range_is_refused_with_422(dispatch, version):
    admin = auth_header(Role.ADMIN)
    response = await dispatch.svc.client.get("/v1/admin/routing", headers=admin, params={"version": version})
    assert response.status_code == 422 and response.json()["error"]["code"]
    missing = await dispatch.svc.client.get("/v1/admin/routing", headers=admin, params={"version": 2**31 - 1})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_a_queue_updated_since_a_time_outside_utcs_range_is_refused_with_422(dispatch, since):
    response = await dispatch.get("/v1/work/cases", "GZ-TH-HJ", updated_since=since)
    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["error"]["details"]] == ["updated_since"]
    edge = await dispatch.get("/v1/work/cases", "GZ-TH-HJ", updated_since="0001-01-01T00:00:00+00:00")
    assert edge.status_code == 200 and edge.json()["items"] == []
