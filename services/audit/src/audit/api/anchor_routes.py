"""Anchors over all case heads: list, take one now, verify (a rewritten chain shows here)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from audit import commands
from audit.anchors import anchor_view, verify_all
from audit.api.deps import AnchorTaker, Runtime, Supervisor
from caseflow_common.http import PageParams, page_params

router = APIRouter()


@router.get("/v1/anchors", tags=["anchors"], summary="Anchors over all case heads, newest first")
async def list_anchors(
    runtime: Runtime, _: Supervisor, paging: Annotated[PageParams, Depends(page_params)]
) -> dict[str, Any]:
    """Each anchor's digest of all case heads, chained to the anchor before it."""
    async with runtime.uow() as uow:
        total, rows = await uow.anchors.page(paging.offset, paging.page_size)
    return {"items": [anchor_view(a) for a in rows], "total": total, "page": paging.page, "page_size": paging.page_size}


@router.post("/v1/anchors", tags=["anchors"], summary="Take an anchor now", status_code=201)
async def take_anchor(runtime: Runtime, _: AnchorTaker) -> dict[str, Any]:
    """Anchor the current heads at once (besides the periodic anchors); 201 with the newest anchor."""
    latest = await commands.take_anchor(runtime)
    return {"anchor": None if latest is None else anchor_view(latest)}


@router.get("/v1/anchors/verify", tags=["anchors"], summary="Verify the anchors against today's chains")
async def verify_anchors(runtime: Runtime, _: Supervisor) -> dict[str, Any]:
    """The anchor chain recomputes, and every case head the latest anchor holds is still in its chain."""
    async with runtime.uow() as uow:
        return await verify_all(uow.anchors)
