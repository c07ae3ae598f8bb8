from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from intake.domain.repeats import CaseSpot, find_repeat, haversine_m, is_repeat

T0 = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def spot(case_id: str, minutes: int = 0, **kw: Any) -> CaseSpot:
    fields: dict[str, Any] = {"category": "env.garbage", "grid_code": None, "lat": None, "lon": None}
    fields.update(kw)
    return CaseSpot(case_id=case_id, received_at=T0 + timedelta(minutes=minutes), **fields)


def test_a_report_in_the_same_grid_repeats_an_open_case() -> None:
    assert is_repeat(spot("new", 60, grid_code="G1"), spot("old", 0, grid_code="G1"), 100)


def test_a_report_within_the_distance_repeats_an_open_case_in_another_grid() -> None:
    old = spot("old", 0, grid_code="G1", lat=23.1300, lon=113.3200)
    new = spot("new", 5, grid_code="G2", lat=23.1305, lon=113.3200)  # about 56 m north
    assert is_repeat(new, old, 100)
    assert not is_repeat(new, old, 50)


def test_a_report_of_another_category_at_the_same_place_is_not_a_repeat() -> None:
    assert not is_repeat(spot("new", 5, grid_code="G1", category="env.noise"), spot("old", 0, grid_code="G1"), 100)


def test_closed_and_merged_cases_take_no_repeats_but_reopened_ones_do() -> None:
    new = spot("new", 5, grid_code="G1")
    assert not is_repeat(new, spot("old", 0, grid_code="G1", status="closed"), 100)
    assert not is_repeat(new, spot("old", 0, grid_code="G1", status="merged"), 100)
    assert is_repeat(new, spot("old", 0, grid_code="G1", status="reopened"), 100)


def test_a_later_case_or_the_case_itself_is_not_the_earlier_request() -> None:
    new = spot("new", 5, grid_code="G1")
    assert not is_repeat(new, spot("later", 10, grid_code="G1"), 100)
    assert not is_repeat(new, new, 100)


def test_places_without_a_grid_or_coordinates_in_common_do_not_match() -> None:
    assert not is_repeat(spot("new", 5, grid_code="G1"), spot("old", 0, lat=23.13, lon=113.32), 100)
    assert not is_repeat(spot("new", 5), spot("old", 0), 100)


def test_find_repeat_picks_the_earliest_matching_open_case() -> None:
    new = spot("new", 100, grid_code="G1", lat=23.13, lon=113.32)
    candidates = [
        spot("b", 20, grid_code="G1"),
        spot("closed-first", 0, grid_code="G1", status="closed"),
        spot("other-category", 1, grid_code="G1", category="env.noise"),
        spot("far", 2, grid_code="G7", lat=23.20, lon=113.32),
        spot("a", 10, grid_code="G5", lat=23.1301, lon=113.32),
    ]
    found = find_repeat(new, candidates, 100)
    assert found is not None and found.case_id == "a"


def test_find_repeat_finds_nothing_among_no_matches() -> None:
    assert find_repeat(spot("new", 5, grid_code="G1"), [spot("x", 0, grid_code="G2")], 100) is None


def test_haversine_knows_a_degree_of_latitude() -> None:
    assert abs(haversine_m(23.0, 113.0, 24.0, 113.0) - 111_195) < 50


@given(st.floats(-80, 80), st.floats(-179, 179), st.floats(-80, 80), st.floats(-179, 179))
def test_distance_is_symmetric_and_never_negative(lat1: float, lon1: float, lat2: float, lon2: float) -> None:
    d = haversine_m(lat1, lon1, lat2, lon2)
    assert d >= 0
    assert abs(d - haversine_m(lat2, lon2, lat1, lon1)) < 1e-6
