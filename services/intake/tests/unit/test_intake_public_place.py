"""The public sees a case's place at street level at most, coordinates rounded, and only public categories."""

from __future__ import annotations

import pytest

from intake.domain.public import coarse, listed_categories, public_place

REGIONS = {
    "440100": {"code": "440100", "name": "广州市", "level": "city", "parent": None},
    "440103": {"code": "440103", "name": "荔湾区", "level": "district", "parent": "440100"},
    "440103001": {"code": "440103001", "name": "沙面街道", "level": "street", "parent": "440103"},
    "440103001001": {"code": "440103001001", "name": "沙面社区", "level": "community", "parent": "440103001"},
    "440103001001-01": {
        "code": "440103001001-01",
        "name": "沙面社区第1网格",
        "level": "grid",
        "parent": "440103001001",
    },
}


def test_a_grid_case_is_published_at_its_street():
    place = public_place(REGIONS, "440103001001-01", 23.121456, 113.238789)
    assert place.region_code == "440103001" and place.address == "荔湾区沙面街道"
    assert (place.lat, place.lon) == (23.121, 113.239)


def test_the_community_level_may_be_chosen_but_never_the_grid():
    place = public_place(REGIONS, "440103001001-01", None, None, level="community")
    assert place.region_code == "440103001001" and place.address == "荔湾区沙面街道沙面社区"
    assert place.lat is None and place.lon is None
    with pytest.raises(ValueError):
        public_place(REGIONS, "440103001001-01", None, None, level="grid")


def test_a_coarser_region_stays_as_coarse_and_an_unknown_one_shows_nothing():
    assert public_place(REGIONS, "440103", None, None).address == "荔湾区"
    unknown = public_place(REGIONS, "999999", 23.1, 113.2)
    assert unknown.region_code is None and unknown.address == ""


def test_coordinates_are_rounded_to_about_a_hundred_metres():
    assert coarse(23.12149) == 23.121 and coarse(113.2385, 2) == 113.24 and coarse(None) is None


def test_only_categories_marked_public_are_listed():
    cats = {
        "urban.garbage": {"code": "urban.garbage", "public": True},
        "care.severe_mental_disorder": {"code": "care.severe_mental_disorder", "public": False},
        "dispute.neighbour": {"code": "dispute.neighbour"},
    }
    assert listed_categories(cats) == ["urban.garbage"]
    assert listed_categories(cats, ["care.severe_mental_disorder", "urban.garbage"]) == ["urban.garbage"]
    assert listed_categories(cats, ["dispute.neighbour"]) == []
