from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from caseflow_common.contracts.intake import Channel, Urgency
from intake.domain.reports import (
    GridReportIn,
    HotlineReportIn,
    channel_of,
    fingerprint,
    occurred_at,
)


def hotline_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": "HL-2026.11:0001_a",
        "received_at": "2026-11-21T09:30:00+08:00",
        "kind": "complaint",
        "category": "env.garbage",
        "description": "  小区门口垃圾堆放三天无人清运  ",
        "location": {"region_code": "G1", "address": "体育西路 101 号", "lat": 23.13, "lon": 113.32},
        "requester": {"name": "张三", "phone": "+86 138 1234 5678", "anonymous": False},
    }
    body.update(overrides)
    return body


def grid_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": "GR-77",
        "observed_at": "2026-11-21T01:30:00Z",
        "grid_code": "G1",
        "reporter_id": "GM-0042",
        "category": "safety.hazard",
        "description": "消防通道被占用",
    }
    body.update(overrides)
    return body


def errors_of(body: dict[str, Any], model: type = HotlineReportIn) -> dict[tuple[Any, ...], str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return {tuple(e["loc"]): e["msg"] for e in caught.value.errors()}


def test_a_valid_hotline_report_is_normalised() -> None:
    report = HotlineReportIn.model_validate(hotline_body())
    assert report.description == "小区门口垃圾堆放三天无人清运"
    assert report.requester.phone == "13812345678"
    assert report.urgency is None
    assert channel_of(report) is Channel.HOTLINE
    assert occurred_at(report) == datetime(2026, 11, 21, 1, 30, tzinfo=UTC)


def test_unknown_fields_are_tolerated() -> None:
    report = HotlineReportIn.model_validate(hotline_body(channel_detail="wechat", priority=3))
    assert report.external_id == "HL-2026.11:0001_a"


@pytest.mark.parametrize("field", ["received_at"])
def test_a_time_without_offset_is_rejected_with_a_clear_message(field: str) -> None:
    errors = errors_of(hotline_body(**{field: "2026-11-21T09:30:00"}))
    assert "UTC offset" in errors[(field,)]


def test_a_grid_observation_without_offset_is_rejected() -> None:
    errors = errors_of(grid_body(observed_at="2026-11-21 09:30"), GridReportIn)
    assert "UTC offset" in errors[("observed_at",)]


@pytest.mark.parametrize(
    ("overrides", "loc", "fragment"),
    [
        ({"external_id": ""}, ("external_id",), "1-64 characters"),
        ({"external_id": "x" * 65}, ("external_id",), "1-64 characters"),
        ({"external_id": "has space"}, ("external_id",), "1-64 characters"),
        ({"external_id": "工单1"}, ("external_id",), "1-64 characters"),
        ({"kind": "praise"}, ("kind",), "complaint"),
        ({"urgency": "asap"}, ("urgency",), "emergency"),
        ({"description": "   "}, ("description",), "must not be blank"),
        ({"description": "x" * 4001}, ("description",), "at most 4000"),
        ({"category": ""}, ("category",), "1-64"),
        ({"location": {"region_code": "G1", "address": "x" * 201}}, ("location", "address"), "200"),
        ({"location": {"region_code": "G1", "lat": 91, "lon": 113}}, ("location", "lat"), "90"),
        ({"location": {"region_code": "G1", "lat": 23, "lon": 181}}, ("location", "lon"), "180"),
        ({"location": {"region_code": "G1", "lat": 23.1}}, ("location", "lon"), "together"),
        ({"location": {"region_code": "G1", "lon": 113.2}}, ("location", "lon"), "together"),
        ({"location": {"address": "somewhere"}}, ("location",), "region_code"),
        ({"requester": {"name": "张三"}}, ("requester", "phone"), "required unless"),
        ({"requester": {"name": "张三", "phone": "  "}}, ("requester", "phone"), "required unless"),
        ({"requester": {"name": "张" * 51, "phone": "13812345678"}}, ("requester", "name"), "50"),
        ({"requester": {"phone": "12345678901"}}, ("requester", "phone"), "1[3-9]xxxxxxxxx"),
    ],
)
def test_each_invalid_field_is_named_with_a_clear_message(
    overrides: dict[str, Any], loc: tuple[Any, ...], fragment: str
) -> None:
    errors = errors_of(hotline_body(**overrides))
    assert loc in errors, errors
    assert fragment in errors[loc]


def test_several_invalid_fields_are_all_reported_at_once() -> None:
    errors = errors_of(hotline_body(external_id="a b", received_at="2026-11-21T09:30:00", description=""))
    assert {("external_id",), ("received_at",), ("description",)} <= set(errors)


def test_an_anonymous_requester_needs_no_phone() -> None:
    report = HotlineReportIn.model_validate(hotline_body(requester={"anonymous": True}))
    assert report.requester.phone is None


def test_a_hotline_report_may_locate_itself_by_coordinates_alone() -> None:
    report = HotlineReportIn.model_validate(hotline_body(location={"lat": 23.13, "lon": 113.32}))
    assert report.location.region_code is None


def test_a_grid_report_defaults_its_region_to_the_grid() -> None:
    report = GridReportIn.model_validate(grid_body())
    assert report.location.region_code == "G1"
    assert channel_of(report) is Channel.GRID
    assert occurred_at(report) == datetime(2026, 11, 21, 1, 30, tzinfo=UTC)


def test_a_grid_report_keeps_a_region_it_names() -> None:
    report = GridReportIn.model_validate(grid_body(location={"region_code": "C1", "address": "x"}))
    assert report.location.region_code == "C1"


def test_grid_reports_validate_their_fields_too() -> None:
    errors = errors_of(grid_body(grid_code="", reporter_id="", urgency="later"), GridReportIn)
    assert {("grid_code",), ("reporter_id",), ("urgency",)} <= set(errors)


def test_equal_bodies_have_equal_fingerprints() -> None:
    a = HotlineReportIn.model_validate(hotline_body())
    b = HotlineReportIn.model_validate(hotline_body(ignored_extra="x"))
    assert fingerprint(a) == fingerprint(b)


def test_the_same_instant_and_the_same_phone_in_other_spellings_fingerprint_alike() -> None:
    a = HotlineReportIn.model_validate(hotline_body())
    b = HotlineReportIn.model_validate(
        hotline_body(
            received_at="2026-11-21T01:30:00Z",
            description="小区门口垃圾堆放三天无人清运",
            requester={"name": "张三", "phone": "13812345678"},
        )
    )
    assert fingerprint(a) == fingerprint(b)


@pytest.mark.parametrize(
    "overrides",
    [
        {"external_id": "HL-2"},
        {"received_at": "2026-11-21T09:31:00+08:00"},
        {"kind": "request"},
        {"category": "env.noise"},
        {"urgency": "urgent"},
        {"description": "另一件事"},
        {"location": {"region_code": "G2", "address": "体育西路 101 号", "lat": 23.13, "lon": 113.32}},
        {"location": {"region_code": "G1", "address": "体育西路 102 号", "lat": 23.13, "lon": 113.32}},
        {"location": {"region_code": "G1", "address": "体育西路 101 号", "lat": 23.14, "lon": 113.32}},
        {"location": {"region_code": "G1", "address": "体育西路 101 号", "lat": 23.13, "lon": 113.33}},
        {"requester": {"name": "李四", "phone": "13812345678"}},
        {"requester": {"name": "张三", "phone": "13812345679"}},
        {"requester": {"name": "张三", "phone": "13812345678", "anonymous": True}},
    ],
)
def test_any_changed_field_changes_the_fingerprint(overrides: dict[str, Any]) -> None:
    base = HotlineReportIn.model_validate(hotline_body())
    changed = HotlineReportIn.model_validate(hotline_body(**overrides))
    assert fingerprint(base) != fingerprint(changed)


def test_grid_fingerprints_follow_the_body() -> None:
    base = GridReportIn.model_validate(grid_body())
    same = GridReportIn.model_validate(
        grid_body(observed_at=datetime(2026, 11, 21, 9, 30, tzinfo=timezone(timedelta(hours=8))))
    )
    other = GridReportIn.model_validate(grid_body(reporter_id="GM-0043"))
    assert fingerprint(base) == fingerprint(same)
    assert fingerprint(base) != fingerprint(other)


def test_the_schema_documents_fields_with_examples() -> None:
    schema = HotlineReportIn.model_json_schema()
    assert schema["properties"]["external_id"]["examples"]
    assert "description" in schema["properties"]["received_at"]
    assert set(Urgency) == {"emergency", "urgent", "normal", "inquiry"}
