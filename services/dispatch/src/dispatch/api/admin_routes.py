"""Routing administration: the versioned routing table."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from caseflow_common.auth import Principal, Role, require
from caseflow_common.errors import not_found
from dispatch.api.errors import api_errors
from dispatch.api.schemas import RoutingBody
from dispatch.uow import DispatchUnitOfWork

router = APIRouter(tags=["admin"])
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


def _shown(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": stored["version"],
        "rules": stored["rules"],
        "created_at": stored["created_at"].isoformat(),
        "created_by": stored["created_by"],
    }


@router.get("/v1/admin/routing", summary="The routing table (newest version, or ?version=n)")
async def get_routing(request: Request, _: Admin, version: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    """The routing table of a version (default: the one routing new cases)."""
    runtime = request.app.state.runtime
    async with runtime.uow() as uow:
        uow: DispatchUnitOfWork
        current = await runtime.context.routing.current(uow.routing, now=uow.clock(), fresh=True)
        stored = await uow.routing.get(version or current.version)
        await uow.commit()  # keeps the seed when this was the first use
    if stored is None:
        raise not_found(f"routing version {version}")
    return _shown(stored)


@router.put(
    "/v1/admin/routing",
    summary="Replace the routing table (a new version)",
    responses={409: {"description": "base_version is stale"}, 422: {"description": "every problem listed"}},
)
async def put_routing(request: Request, body: RoutingBody, who: Admin) -> dict[str, Any]:
    """Validate the rules against the directory and store them as the next version; new cases only use it."""
    runtime = request.app.state.runtime
    rules = [r.model_dump(mode="json", exclude_none=True) for r in body.rules]
    store = runtime.context.routing
    with api_errors():
        async with runtime.uow() as uow:
            table = await store.publish(
                uow.routing, rules, base_version=body.base_version, now=uow.clock(), by=f"{who.role}:{who.subject}"
            )
            await uow.commit()
            store.remember(table)
            stored = await uow.routing.get(table.version)
    assert stored is not None
    return _shown(stored)
