"""The directory: units (departments, coordination institutions) and the region tree."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from caseflow_common.auth import AnyPrincipal
from caseflow_common.errors import not_found
from caseflow_common.http import PageParams
from dispatch.api.deps import Paging, Runtime
from dispatch.domain import RegionLevel, UnitLevel

router = APIRouter(tags=["directory"])


def _page(items: list[dict[str, Any]], paging: PageParams) -> dict[str, Any]:
    return {
        "items": items[paging.offset : paging.offset + paging.page_size],
        "total": len(items),
        "page": paging.page,
        "page_size": paging.page_size,
    }


@router.get("/v1/departments", summary="Units: departments and coordination institutions")
async def list_units(
    rt: Runtime,
    _: AnyPrincipal,
    paging: Paging,
    level: UnitLevel | None = None,
    kind: str | None = None,
    region: Annotated[str | None, Query(description="units whose region lies within this one")] = None,
) -> dict[str, Any]:
    """Units (code, name, level, kind, region), filtered by level, kind and region."""
    ref = rt.context.reference
    units = [
        u
        for u in ref.units
        if (level is None or u.level == level)
        and (kind is None or u.kind == kind)
        and (region is None or (u.region in ref.tree and region in ref.tree and ref.tree.is_within(u.region, region)))
    ]
    return _page([u.model_dump(mode="json") for u in units], paging)


@router.get("/v1/departments/{code}", summary="One unit")
async def get_unit(rt: Runtime, code: str, _: AnyPrincipal) -> dict[str, Any]:
    """One unit by code."""
    unit = rt.context.reference.units.get(code)
    if unit is None:
        raise not_found(f"unit {code}")
    return unit.model_dump(mode="json")


@router.get("/v1/regions", summary="The region tree: city, districts, streets, communities, grids")
async def list_regions(
    rt: Runtime, _: AnyPrincipal, paging: Paging, level: RegionLevel | None = None, parent: str | None = None
) -> dict[str, Any]:
    """Regions (code, name, level, parent), filtered by level and parent."""
    regions = [
        r
        for r in rt.context.reference.tree
        if (level is None or r.level == level) and (parent is None or r.parent == parent)
    ]
    return _page([r.model_dump(mode="json") for r in regions], paging)


@router.get("/v1/regions/{code}", summary="One region with its path to the city")
async def get_region(rt: Runtime, code: str, _: AnyPrincipal) -> dict[str, Any]:
    """One region and the codes from the city down to it."""
    tree = rt.context.reference.tree
    region = tree.get(code)
    if region is None:
        raise not_found(f"region {code}")
    return {**region.model_dump(mode="json"), "path": [r.code for r in tree.path(code)]}
