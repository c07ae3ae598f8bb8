from types import SimpleNamespace
from typing import Any

import pytest

from caseflow_common.contracts.intake import Urgency
from intake.domain.catalogue_rules import (
    FieldError,
    category_allows_channel,
    effective_urgency,
    identity_withheld,
    report_region_code,
    resolve_region,
    validate_report,
)
from intake.domain.regions import parse_bbox, region_path
from intake.domain.reports import GridReportIn, HotlineReportIn

CATEGORIES: dict[str, dict[str, Any]] = {
    "env.garbage": {
        "code": "env.garbage", "name": "垃圾清运", "group": "市容环境", "default_urgency": "normal",
        "default_unit_kind": "城管", "multi_department": False, "whistleblower": False, "channels": ["hotline", "grid"],
    },
    "crime.gang": {
        "code": "crime.gang", "name": "涉黑涉恶线索", "group": "治安", "default_urgency": "urgent",
        "default_unit_kind": "公安", "multi_department": False, "whistleblower": True, "channels": ["hotline"],
    },
    "safety.hazard": {
        "code": "safety.hazard", "name": "安全隐患", "group": "安全", "default_urgency": None,
        "default_unit_kind": "应急", "multi_department": False, "whistleblower": False, "channels": [],
    },
}  # fmt: skip

REGIONS: dict[str, dict[str, Any]] = {
    "GZ": {"level": "city", "parent": None},
    "TH": {"level": "district", "parent": "GZ"},
    "TH-S1": {"level": "street", "parent": "TH"},
    "TH-S1-C1": {"level": "community", "parent": "TH-S1"},
    "G1": {"level": "grid", "parent": "TH-S1-C1", "bbox": [23.10, 113.30, 23.14, 113.34]},
    "G2": {"level": "grid", "parent": "TH-S1-C1", "bbox": {"min_lon": 113.34, "min_lat": 23.10, "max_lon": 113.38, "max_lat": 23.14}},
    "G3": {"level": "grid", "parent": "TH-S1-C1", "bbox": [23.11, 113.31, 23.12, 113.32]},
    "G9": {"level": "grid", "parent": "TH-S1-C1"},
}  # fmt: skip


def hotline(**overrides: Any) -> HotlineReportIn:
    body: dict[str, Any] = {
        "external_id": "HL-1", "received_at": "2026-11-21T09:30:00+08:00", "kind": "complaint",
        "category": "env.garbage", "description": "垃圾", "location": {"region_code": "G1"},
        "requester": {"name": "张三", "phone": "13812345678"},
    }  # fmt: skip
    body.update(overrides)
    return HotlineReportIn.model_validate(body)


def grid(**overrides: Any) -> GridReportIn:
    body: dict[str, Any] = {
        "external_id": "GR-1", "observed_at": "2026-11-21T09:30:00+08:00", "grid_code": "G1",
        "reporter_id": "GM-1", "category": "env.garbage", "description": "垃圾",
    }  # fmt: skip
    body.update(overrides)
    return GridReportIn.model_validate(body)


def by_loc(errors: list[FieldError]) -> dict[tuple[Any, ...], str]:
    return {e.loc: e.message for e in errors}


def test_a_report_in_a_known_grid_with_a_known_category_is_valid() -> None:
    assert validate_report(hotline(), CATEGORIES, REGIONS) == []
    assert validate_report(grid(), CATEGORIES, REGIONS) == []


@pytest.mark.parametrize("code", ["TH", "TH-S1", "TH-S1-C1", "G1"])
def test_districts_streets_communities_and_grids_may_be_named(code: str) -> None:
    assert validate_report(hotline(location={"region_code": code}), CATEGORIES, REGIONS) == []


def test_an_unknown_category_is_named() -> None:
    errors = by_loc(validate_report(hotline(category="no.such"), CATEGORIES, REGIONS))
    assert errors == {("category",): "unknown category 'no.such'"}


def test_a_category_closed_to_the_channel_is_refused() -> None:
    errors = by_loc(validate_report(grid(category="crime.gang"), CATEGORIES, REGIONS))
    assert errors == {("category",): "category 'crime.gang' is not accepted on the grid channel"}


def test_an_unknown_region_code_is_named() -> None:
    errors = by_loc(validate_report(hotline(location={"region_code": "X1"}), CATEGORIES, REGIONS))
    assert errors == {("location", "region_code"): "unknown region code 'X1'"}


def test_a_city_level_region_is_too_coarse() -> None:
    errors = by_loc(validate_report(hotline(location={"region_code": "GZ"}), CATEGORIES, REGIONS))
    assert "city level" in errors[("location", "region_code")]


def test_coordinates_outside_every_grid_are_refused_when_no_region_is_given() -> None:
    errors = by_loc(validate_report(hotline(location={"lat": 22.5, "lon": 114.0}), CATEGORIES, REGIONS))
    assert "outside every grid" in errors[("location",)]


def test_coordinates_inside_a_grid_stand_in_for_the_region() -> None:
    report = hotline(location={"lat": 23.12, "lon": 113.36})
    assert validate_report(report, CATEGORIES, REGIONS) == []
    assert report_region_code(report, REGIONS) == "G2"


def test_an_unknown_grid_is_named_once() -> None:
    errors = by_loc(validate_report(grid(grid_code="G404"), CATEGORIES, REGIONS))
    assert errors == {("grid_code",): "unknown grid code 'G404'"}


def test_a_grid_code_that_is_not_a_grid_is_refused() -> None:
    errors = by_loc(validate_report(grid(grid_code="TH-S1", location={"region_code": "G1"}), CATEGORIES, REGIONS))
    assert errors == {("grid_code",): "'TH-S1' is not a grid"}


def test_every_invalid_field_is_reported_together() -> None:
    errors = validate_report(hotline(category="no.such", location={"region_code": "X1"}), CATEGORIES, REGIONS)
    assert {e.loc for e in errors} == {("category",), ("location", "region_code")}
    assert errors[0].as_detail() == {
        "loc": ["category"],
        "msg": "unknown category 'no.such'",
        "type": "unknown_category",
    }


def test_the_reportable_levels_are_configuration() -> None:
    errors = validate_report(
        hotline(location={"region_code": "TH"}), CATEGORIES, REGIONS, reportable_levels=frozenset({"grid"})
    )
    assert [e.loc for e in errors] == [("location", "region_code")]


def test_resolve_region_prefers_the_tightest_overlapping_grid_and_ignores_grids_without_boxes() -> None:
    assert resolve_region(23.115, 113.315, REGIONS) == "G3"
    assert resolve_region(23.13, 113.305, REGIONS) == "G1"
    assert resolve_region(0.0, 0.0, REGIONS) is None


def test_bboxes_may_be_lists_or_mappings_and_bad_ones_are_ignored() -> None:
    assert parse_bbox([1, 2, 3, 4]) == parse_bbox({"min_lat": 1, "min_lon": 2, "max_lat": 3, "max_lon": 4})
    assert parse_bbox([1, 2, 3]) is None
    assert parse_bbox({"min_lon": 1}) is None


def test_region_path_runs_from_the_city_down() -> None:
    assert region_path(REGIONS, "G1") == ["GZ", "TH", "TH-S1", "TH-S1-C1", "G1"]
    assert region_path(REGIONS, "nope") is None


def test_urgency_comes_from_the_report_then_the_category_then_the_fallback() -> None:
    assert effective_urgency("emergency", CATEGORIES["env.garbage"]) is Urgency.EMERGENCY
    assert effective_urgency(None, CATEGORIES["crime.gang"]) is Urgency.URGENT
    assert effective_urgency(None, CATEGORIES["safety.hazard"]) is Urgency.NORMAL
    assert effective_urgency(None, CATEGORIES["safety.hazard"], fallback=Urgency.URGENT) is Urgency.URGENT


def test_an_emergency_category_is_an_emergency_whatever_the_report_says() -> None:
    gas = {**CATEGORIES["env.garbage"], "code": "urban.gas_leak", "default_urgency": "emergency"}
    for said in (None, "normal", "urgent", "inquiry", "emergency"):
        assert effective_urgency(said, gas) is Urgency.EMERGENCY
    assert effective_urgency("urgent", CATEGORIES["env.garbage"]) is Urgency.URGENT


def test_identity_is_withheld_for_anonymous_requesters_and_whistleblower_categories() -> None:
    assert identity_withheld(True, CATEGORIES["env.garbage"])
    assert identity_withheld(False, CATEGORIES["crime.gang"])
    assert not identity_withheld(False, CATEGORIES["env.garbage"])


def test_category_rules_read_objects_as_well_as_mappings() -> None:
    category = SimpleNamespace(**CATEGORIES["crime.gang"])
    assert identity_withheld(False, category)
    assert category_allows_channel(category, "hotline")
    assert not category_allows_channel(category, "grid")
    assert category_allows_channel(CATEGORIES["safety.hazard"], "grid")  # no list: every channel
