"""A small hand-made directory for the routing tests (the demo data has its own tests)."""

from __future__ import annotations

import pytest

from dispatch.domain import CategoryCatalogue, RegionTree, RoutingTable, UnitDirectory


def _region(code: str, level: str, parent: str | None) -> dict:
    return {"code": code, "name": code, "level": level, "parent": parent}


def _unit(code: str, level: str, kind: str, region: str) -> dict:
    return {"code": code, "name": code, "level": level, "kind": kind, "region": region}


def _category(code: str, **flags: bool) -> dict:
    return {"code": code, "name": code, "default_unit_kind": "urban_management", **flags}


@pytest.fixture
def tree() -> RegionTree:
    """440100 city; 天河 440106 with streets 001, 002; 海珠 440105 with street 001; one community and grid."""
    return RegionTree.from_dicts(
        [
            _region("440100", "city", None),
            _region("440106", "district", "440100"),
            _region("440106001", "street", "440106"),
            _region("440106001001", "community", "440106001"),
            _region("440106001001-01", "grid", "440106001001"),
            _region("440106002", "street", "440106"),
            _region("440105", "district", "440100"),
            _region("440105001", "street", "440105"),
        ]
    )


@pytest.fixture
def units() -> UnitDirectory:
    """City and district departments, coordination offices; 海珠 lacks ecology and a street 综治中心."""
    return UnitDirectory.from_dicts(
        [
            _unit("GZ-GA", "city", "public_security", "440100"),
            _unit("GZ-CG", "city", "urban_management", "440100"),
            _unit("GZ-HJ", "city", "ecology", "440100"),
            _unit("GZ-PA", "city", "coordination", "440100"),
            _unit("GZ-TH-GA", "district", "public_security", "440106"),
            _unit("GZ-TH-CG", "district", "urban_management", "440106"),
            _unit("GZ-TH-HJ", "district", "ecology", "440106"),
            _unit("GZ-TH-SW", "district", "water", "440106"),
            _unit("GZ-TH-PA", "district", "coordination", "440106"),
            _unit("GZ-TH-001-ZZ", "street", "coordination", "440106001"),
            _unit("GZ-TH-001-JD", "street", "street_office", "440106001"),
            _unit("GZ-TH-002-ZZ", "street", "coordination", "440106002"),
            _unit("GZ-HZ-GA", "district", "public_security", "440105"),
            _unit("GZ-HZ-CG", "district", "urban_management", "440105"),
            _unit("GZ-HZ-PA", "district", "coordination", "440105"),
        ]
    )


@pytest.fixture
def categories() -> CategoryCatalogue:
    """Ordinary, grassroots, multi-department, crime-clue and rule-less categories."""
    return CategoryCatalogue.from_dicts(
        [
            _category("urban.road_occupation", grassroots=True),
            _category("urban.illegal_construction"),
            _category("env.noise.construction"),
            _category("care.vagrancy", multi_department=True),
            _category("clue.gang_crime", whistleblower=True),
            _category("clue.other_crime", whistleblower=True),
            _category("other.unclassified"),
        ]
    )


@pytest.fixture
def table() -> RoutingTable:
    """City-wide rules, a district override to the city level and a street override to a street office."""
    return RoutingTable.from_dict(
        {
            "version": 7,
            "rules": [
                {
                    "id": "r-road",
                    "category": "urban.road_occupation",
                    "region": "440100",
                    "unit_kind": "urban_management",
                },
                {
                    "id": "r-road-th-001",
                    "category": "urban.road_occupation",
                    "region": "440106001",
                    "unit_kind": "street_office",
                    "level": "street",
                    "unit": "GZ-TH-001-JD",
                },
                {
                    "id": "r-build",
                    "category": "urban.illegal_construction",
                    "region": "440100",
                    "unit_kind": "urban_management",
                },
                {
                    "id": "r-build-hz",
                    "category": "urban.illegal_construction",
                    "region": "440105",
                    "unit_kind": "urban_management",
                    "level": "city",
                },
                {"id": "r-noise", "category": "env.noise.construction", "region": "440100", "unit_kind": "ecology"},
                {"id": "r-gang", "category": "clue.gang_crime", "region": "440100", "unit_kind": "public_security"},
            ],
        }
    )
