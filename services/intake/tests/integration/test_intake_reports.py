"""Hotline and grid reports against the real broker and both databases: validation, idempotency, case numbers."""

from __future__ import annotations

import asyncio
import re

import orjson
from sqlalchemy import func, select

from caseflow_common.auth import Role
from caseflow_common.testing import auth_header
from intake.orm import cases, outbox

HOTLINE = auth_header(Role.HOTLINE)
GRID_ROLE = auth_header(Role.GRID)


async def _count(svc, table) -> int:
    async with svc.runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(table))).scalar_one()


def _fields(response) -> dict[str, str]:
    body = response.json()["error"]
    return {d["field"]: d["message"] for d in body["details"]}


async def test_a_hotline_report_becomes_a_case_with_a_number_read_over_the_phone(intake, make_hotline):
    r = await intake.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE)
    assert r.status_code == 201, r.text
    assert re.fullmatch(r"GZ-20261120-\d{6}", r.json()["case_id"])
    assert r.json()["status"] == "received"
    second = await intake.client.post(
        "/v1/hotline/reports", json=make_hotline(category="traffic.order"), headers=HOTLINE
    )
    assert int(second.json()["case_id"][-6:]) == int(r.json()["case_id"][-6:]) + 1


async def test_every_invalid_field_is_named_in_one_422(intake, make_hotline):
    body = make_hotline(
        category="no.such",
        received_at="2026-11-20T09:30:00",
        description="   ",
        location={"region_code": "999999"},
        requester={"name": "张三", "phone": "12345"},
    )
    r = await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
    assert r.status_code == 422
    fields = _fields(r)
    assert "UTC offset" in fields["received_at"]
    assert "blank" in fields["description"]
    assert "phone must be" in fields["requester.phone"]
    assert fields["category"] == "unknown category 'no.such'"
    assert fields["location.region_code"] == "unknown region code '999999'"
    assert set(fields) <= set(r.json()["error"]["message"].replace("invalid fields: ", "").split(", "))
    assert await _count(intake, cases) == 0 and await _count(intake, outbox) == 0


async def test_catalogue_and_directory_errors_of_a_well_formed_report_are_named(intake, make_hotline):
    cases_ = {
        "category": (make_hotline(category="no.such"), "unknown category 'no.such'"),
        "location.region_code": (make_hotline(location={"region_code": "440100"}), "is a city level"),
        "location": (make_hotline(location={"lat": 1.0, "lon": 1.0}), "outside every grid"),
        "requester.phone": (make_hotline(requester={"name": "李四"}), "phone is required unless"),
        "description": (make_hotline(description="x" * 4001), "at most 4000"),
        "location.lon": (make_hotline(location={"region_code": "440103", "lat": 23.1}), "given together"),
        "urgency": (make_hotline(urgency="whenever"), "Input should be"),
    }
    for field, (body, message) in cases_.items():
        r = await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
        assert r.status_code == 422, (field, r.text)
        assert message in _fields(r)[field], (field, r.text)


async def test_grid_reports_check_the_grid_code_and_the_channel(intake, make_grid):
    r = await intake.client.post("/v1/grid/reports", json=make_grid(grid_code="440103"), headers=GRID_ROLE)
    assert r.status_code == 422 and "is not a grid" in _fields(r)["grid_code"]
    r = await intake.client.post("/v1/grid/reports", json=make_grid(category="market.price"), headers=GRID_ROLE)
    assert r.status_code == 422 and "not accepted on the grid channel" in _fields(r)["category"]
    r = await intake.client.post("/v1/grid/reports", json=make_grid(), headers=GRID_ROLE)
    assert r.status_code == 201, r.text
    r = await intake.client.post("/v1/grid/reports", json=make_grid(), headers=HOTLINE)
    assert r.status_code == 403


async def test_malformed_json_and_oversized_bodies_are_refused_and_nothing_is_written(intake, make_hotline):
    r = await intake.client.post(
        "/v1/hotline/reports", content=b'{"external_id": ', headers={**HOTLINE, "content-type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "malformed_json"
    assert r.json()["error"]["message"].startswith("body is not valid JSON")
    big = make_hotline(description="x" * 3000, padding="y" * 70_000)
    r = await intake.client.post(
        "/v1/hotline/reports", content=orjson.dumps(big), headers={**HOTLINE, "content-type": "application/json"}
    )
    assert r.status_code == 413
    assert await _count(intake, cases) == 0 and await _count(intake, outbox) == 0


async def test_the_same_report_twice_is_the_same_case_and_a_changed_one_is_a_conflict(intake, make_hotline):
    body = make_hotline()
    first = await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
    again = await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["case_id"] == first.json()["case_id"]
    # The same instant written in UTC is the same body.
    same = {**body, "received_at": "2026-11-20T01:30:00Z"}
    assert (await intake.client.post("/v1/hotline/reports", json=same, headers=HOTLINE)).status_code == 200
    changed = {**body, "description": "另一件事"}
    r = await intake.client.post("/v1/hotline/reports", json=changed, headers=HOTLINE)
    assert r.status_code == 409 and r.json()["error"]["code"] == "external_id_conflict"
    assert await _count(intake, cases) == 1


async def test_two_identical_reports_at_once_create_one_case(intake, make_hotline):
    for _ in range(3):
        body = make_hotline()
        a, b = await asyncio.gather(
            intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE),
            intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE),
        )
        assert sorted([a.status_code, b.status_code]) == [200, 201], (a.text, b.text)
        assert a.json()["case_id"] == b.json()["case_id"]
    assert await _count(intake, cases) == 3


async def test_coordinates_inside_a_directory_grid_stand_in_for_the_region(intake, make_hotline, intake_topic):
    r = await intake.client.post(
        "/v1/hotline/reports", headers=HOTLINE, json=make_hotline(location={"lat": 23.121, "lon": 113.238})
    )
    assert r.status_code == 201, r.text
    events = await intake_topic.read_until(lambda es: any(e.event_type == "CaseReceived" for e in es))
    received = next(e for e in events if e.event_type == "CaseReceived")
    assert received.payload["region_code"] == "440103001001-01"
    assert received.payload["region_path"][-1] == "440100"
    assert received.payload["urgency"] == "normal"  # the category's default
