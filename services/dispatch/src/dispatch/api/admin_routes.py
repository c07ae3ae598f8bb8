"""Routing administration: the versioned routing table."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from caseflow_common.errors import not_found
from dispatch import routing_commands, views
from dispatch.api.deps import Admin, Runtime
from dispatch.api.schemas import RoutingBody

router = APIRouter(tags=["admin"])
# Stored versions are 32-bit integers (PostgreSQL INTEGER); a larger ?version= is refused with 422, never a 500.
MAX_VERSION = 2**31 - 1


@router.get("/v1/admin/routing", summary="The routing table (newest version, or ?version=n)")
async def get_routing(
    rt: Runtime, _: Admin, version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None
) -> dict[str, Any]:
    """The routing table of a version (default: the one routing new cases)."""
    shown = await views.routing(rt, version)
    if shown is None:
        raise not_found(f"routing version {version}")
    return shown


@router.put(
    "/v1/admin/routing",
    summary="Replace the routing table (a new version)",
    responses={409: {"description": "base_version is stale"}, 422: {"description": "every problem listed"}},
)
async def put_routing(rt: Runtime, body: RoutingBody, who: Admin) -> dict[str, Any]:
    """Validate the rules against the directory and store them as the next version; new cases only use it."""
    rules = [r.model_dump(mode="json", exclude_none=True) for r in body.rules]
    stored = await routing_commands.publish_routing(rt, rules, base_version=body.base_version, who=who)
    return views.routing_version(stored)
