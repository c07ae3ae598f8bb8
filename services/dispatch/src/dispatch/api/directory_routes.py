"""The directory: units (departments, coordination institutions) and the region tree, as in force now, at another
time (``?as_of=``) or as recorded up to a version (``?version=``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from caseflow_common.auth import AnyPrincipal
from caseflow_common.errors import not_found
from caseflow_common.http import PageParams
from dispatch.api.admin_routes import MAX_VERSION
from dispatch.api.deps import Paging, Runtime
from dispatch.domain import RegionLevel, UnitLevel
from dispatch.reference import Reference

router = APIRouter(tags=["directory"])
AsOf = Annotated[
    AwareDatetime | None,
    Query(description="the directory in force at this time (ISO 8601 with offset; default now)"),
]
Version = Annotated[
    int | None,
    Query(ge=1, le=MAX_VERSION, description="only the changes recorded up to this version (default: every one)"),
]


def _directory(rt: Runtime, version: int | None, as_of: AwareDatetime | None) -> Reference:
    store = rt.context.directory
    if version is not None and version > store.latest_version:
        raise not_found(f"directory version {version}")
    return store.as_of(as_of or rt.clock(), up_to=version)


def _page(items: list[dict[str, Any]], paging: PageParams, ref: Reference) -> dict[str, Any]:
    return {
        "items": items[paging.offset : paging.offset + paging.page_size],
        "total": len(items),
        "page": paging.page,
        "page_size": paging.page_size,
        "directory_version": ref.directory_version,
    }


@router.get("/v1/departments", summary="Units: departments and coordination institutions")
async def list_units(
    rt: Runtime,
    _: AnyPrincipal,
    paging: Paging,
    level: UnitLevel | None = None,
    kind: str | None = None,
    region: Annotated[str | None, Query(description="units whose region lies within this one")] = None,
    version: Version = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """Units in force (code, name, level, kind, region), filtered by level, kind and region; `directory_version` is
    the newest change in force."""
    ref = _directory(rt, version, as_of)
    units = [
        u
        for u in ref.units
        if (level is None or u.level == level)
        and (kind is None or u.kind == kind)
        and (region is None or (u.region in ref.tree and region in ref.tree and ref.tree.is_within(u.region, region)))
    ]
    return _page([u.model_dump(mode="json") for u in units], paging, ref)


@router.get("/v1/departments/{code}", summary="One unit")
async def get_unit(
    rt: Runtime, code: str, _: AnyPrincipal, version: Version = None, as_of: AsOf = None
) -> dict[str, Any]:
    """One unit in force by code (404 before its effective date and once retired)."""
    unit = _directory(rt, version, as_of).units.get(code)
    if unit is None:
        raise not_found(f"unit {code}")
    return unit.model_dump(mode="json")


@router.get("/v1/regions", summary="The region tree: city, districts, streets, communities, grids")
async def list_regions(
    rt: Runtime,
    _: AnyPrincipal,
    paging: Paging,
    level: RegionLevel | None = None,
    parent: str | None = None,
    version: Version = None,
    as_of: AsOf = None,
) -> dict[str, Any]:
    """Regions in force (code, name, level, parent), filtered by level and parent."""
    ref = _directory(rt, version, as_of)
    regions = [r for r in ref.tree if (level is None or r.level == level) and (parent is None or r.parent == parent)]
    return _page([r.model_dump(mode="json") for r in regions], paging, ref)


@router.get("/v1/regions/{code}", summary="One region with its path to the city")
async def get_region(
    rt: Runtime, code: str, _: AnyPrincipal, version: Version = None, as_of: AsOf = None
) -> dict[str, Any]:
    """One region in force and the codes from the city down to it."""
    tree = _directory(rt, version, as_of).tree
    region = tree.get(code)
    if region is None:
        raise not_found(f"region {code}")
    return {**region.model_dump(mode="json"), "path": [r.code for r in tree.path(code)]}
