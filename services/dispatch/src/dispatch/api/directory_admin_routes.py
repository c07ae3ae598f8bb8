"""Directory administration: member units and regions change (GZ Art. 5; SZ Art. 8). Each change is a version of
its own, in force from its effective date, like the routing table's versions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path

from caseflow_common.errors import not_found
from dispatch import directory_commands
from dispatch.api.admin_routes import MAX_VERSION
from dispatch.api.deps import Admin, Paging, Runtime
from dispatch.api.directory_schemas import RegionCreate, RegionRetire, Rename, UnitCreate, UnitRetire, _Change
from dispatch.domain.directory_log import ChangeOp

router = APIRouter(tags=["admin"])
CodePath = Annotated[str, Path(min_length=1, max_length=40)]
CONFLICTS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such unit or region in force"},
    409: {"description": "a duplicate code, something still in use, a stale base_version, or a pending change broken"},
    422: {"description": "unknown region or parent, a wrong level, an effective date in the past"},
}


def change_view(stored: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A stored directory version as the admin API shows it."""
    applied = stored.get("applied_at")
    view = {
        "version": stored["version"],
        "op": stored["op"],
        "code": stored["code"] or None,
        "effective_from": stored["effective_from"].isoformat(),
        "in_force": stored["op"] == ChangeOp.SEED or stored["effective_from"] <= now,
        "applied_at": applied.isoformat() if applied else None,
        "created_at": stored["created_at"].isoformat(),
        "created_by": stored["created_by"],
        "change": {} if stored["op"] == ChangeOp.SEED else stored["data"],
    }
    if "rerouted_cases" in stored:
        view["rerouted_cases"] = stored["rerouted_cases"]
    return view


async def _record(rt: Runtime, who: Admin, op: ChangeOp, code: str, body: _Change) -> dict[str, Any]:
    stored = await directory_commands.record_change(
        rt,
        op,
        code,
        body.data(),
        effective_from=body.effective(rt.context.city_zone),
        base_version=body.base_version,
        who=who,
    )
    return change_view(stored, rt.clock())


@router.get("/v1/admin/directory", summary="The directory's versions (the seed, then one change each)")
async def list_versions(rt: Runtime, _: Admin, paging: Paging) -> dict[str, Any]:
    """Every version, oldest first: what it changed, when it takes effect, whether it is in force and applied."""
    store, now = rt.context.directory, rt.clock()
    async with rt.uow() as uow:
        await store.refresh(uow.directory, fresh=True)
        rows = await uow.directory.since(0)
    items = [change_view(row, now) for row in rows]
    return {
        "items": items[paging.offset : paging.offset + paging.page_size],
        "total": len(items),
        "page": paging.page,
        "page_size": paging.page_size,
        "version": store.latest_version,
        "in_force_version": store.reference.directory_version,
    }


@router.get("/v1/admin/directory/{version}", summary="One directory version")
async def get_version(rt: Runtime, _: Admin, version: Annotated[int, Path(ge=1, le=MAX_VERSION)]) -> dict[str, Any]:
    """One stored version of the directory."""
    async with rt.uow() as uow:
        stored = await uow.directory.get(version)
    if stored is None:
        raise not_found(f"directory version {version}")
    return change_view(stored, rt.clock())


@router.post("/v1/admin/units", status_code=201, summary="Add a unit (a new version)", responses=CONFLICTS)
async def add_unit(rt: Runtime, body: UnitCreate, who: Admin) -> dict[str, Any]:
    """A department, street office or coordination institution joins the directory from `effective_from`."""
    return await _record(rt, who, ChangeOp.ADD_UNIT, body.code, body)


@router.patch("/v1/admin/units/{code}", summary="Rename a unit (a new version)", responses=CONFLICTS)
async def rename_unit(rt: Runtime, code: CodePath, body: Rename, who: Admin) -> dict[str, Any]:
    """The unit carries the new name from `effective_from` (events and views from then on)."""
    return await _record(rt, who, ChangeOp.RENAME_UNIT, code, body)


@router.post("/v1/admin/units/{code}/retire", summary="Retire a unit (a new version)", responses=CONFLICTS)
async def retire_unit(rt: Runtime, code: CodePath, body: UnitRetire, who: Admin) -> dict[str, Any]:
    """From `effective_from` the unit is no longer routed to and its tokens no longer act on cases; its open cases
    are re-routed as a re-dispatch is (the next candidate of the routing table, else the coordination institution of
    the area), each new unit with its own clocks. 409 while the routing table still needs it and no `replaced_by`
    takes its rules over."""
    return await _record(rt, who, ChangeOp.RETIRE_UNIT, code, body)


@router.post("/v1/admin/regions", status_code=201, summary="Add a region (a new version)", responses=CONFLICTS)
async def add_region(rt: Runtime, body: RegionCreate, who: Admin) -> dict[str, Any]:
    """A district, street, community or grid joins the region tree under `parent` from `effective_from`."""
    return await _record(rt, who, ChangeOp.ADD_REGION, body.code, body)


@router.patch("/v1/admin/regions/{code}", summary="Rename a region (a new version)", responses=CONFLICTS)
async def rename_region(rt: Runtime, code: CodePath, body: Rename, who: Admin) -> dict[str, Any]:
    """The region carries the new name from `effective_from`."""
    return await _record(rt, who, ChangeOp.RENAME_REGION, code, body)


@router.post("/v1/admin/regions/{code}/retire", summary="Retire a region (a new version)", responses=CONFLICTS)
async def retire_region(rt: Runtime, code: CodePath, body: RegionRetire, who: Admin) -> dict[str, Any]:
    """From `effective_from` the region is no longer in the tree; 409 while regions lie in it, units serve it or the
    routing table routes by it."""
    return await _record(rt, who, ChangeOp.RETIRE_REGION, code, body)
