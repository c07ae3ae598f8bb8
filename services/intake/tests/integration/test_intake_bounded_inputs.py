"""Bounded inputs, never a 500: lone surrogates in any text field, pages past the database's integer range."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from caseflow_common.auth import Role
from caseflow_common.testing import auth_header
from intake.orm import cases

HOTLINE = auth_header(Role.HOTLINE)
GRID = auth_header(Role.GRID)
MARK = "SURROGATE-HERE"


def _raw(body: dict[str, Any]) -> bytes:
    """The body as JSON with a lone surrogate escape where MARK stands (valid JSON, not valid Unicode)."""
    return json.dumps(body, ensure_ascii=False).replace(MARK, "\\ud800").encode("utf-8")


async def _post(intake, path: str, body: dict[str, Any], headers) -> Any:
    return await intake.client.post(path, content=_raw(body), headers={**headers, "content-type": "application/json"})


def _fields(response) -> dict[str, str]:
    return {d["field"]: d["message"] for d in response.json()["error"]["details"]}


async def test_a_lone_surrogate_in_any_text_field_is_a_422_naming_the_field(intake, make_hotline, make_grid):
    hotline = {
        "description": make_hotline(description=f"垃圾{MARK}堆放"),
        "location.address": make_hotline(location={"region_code": "440103001001-01", "address": f"沙面{MARK}"}),
        "requester.name": make_hotline(requester={"name": f"张{MARK}", "phone": "13812345678"}),
        "category": make_hotline(category=f"urban.{MARK}"),
    }
    for field, body in hotline.items():
        r = await _post(intake, "/v1/hotline/reports", body, HOTLINE)
        assert r.status_code == 422, (field, r.status_code, r.text)
        assert field in _fields(r), (field, r.text)
    grid = {
        "reporter_id": make_grid(reporter_id=f"GM-{MARK}"),
        "description": make_grid(description=f"{MARK}"),
    }
    for field, body in grid.items():
        r = await _post(intake, "/v1/grid/reports", body, GRID)
        assert r.status_code == 422 and field in _fields(r), (field, r.text)
    r = await _post(intake, "/v1/cases/GZ-20261120-000001/visits", {"contacted": True, "comment": MARK}, HOTLINE)
    assert r.status_code == 422 and "comment" in _fields(r), r.text
    async with intake.runtime.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(cases))).scalar_one() == 0


async def test_a_page_past_the_database_integer_range_is_a_422_with_the_error_envelope(intake):
    for params in ({"page": str(2**63)}, {"page": str(2**31)}, {"page": "0"}, {"page_size": "201"}, {"page": "x"}):
        r = await intake.client.get("/v1/grid/reports", params=params, headers=GRID)
        assert r.status_code == 422, (params, r.text)
        error = r.json()["error"]
        assert error["code"] == "invalid_request" and error["details"][0]["field"].startswith("query."), error
    last = await intake.client.get("/v1/grid/reports", params={"page": "1000000", "page_size": "200"}, headers=GRID)
    assert last.status_code == 200 and last.json()["items"] == []
