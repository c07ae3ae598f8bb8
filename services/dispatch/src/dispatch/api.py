"""dispatch HTTP API (API.md, dispatch)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from caseflow_common.auth import AnyPrincipal

router = APIRouter()


@router.get("/v1/departments", tags=["directory"], summary="Units: departments and coordination institutions")
async def list_departments(request: Request, _: AnyPrincipal) -> dict:
    units = request.app.state.runtime.state["directory"].units
    return {"items": [u.model_dump() for u in units.values()], "total": len(units)}


@router.get("/v1/regions", tags=["directory"], summary="The region tree: city, districts, streets, communities, grids")
async def list_regions(request: Request, _: AnyPrincipal) -> dict:
    regions = request.app.state.runtime.state["directory"].regions
    return {"items": [r.model_dump() for r in regions.values()], "total": len(regions)}
