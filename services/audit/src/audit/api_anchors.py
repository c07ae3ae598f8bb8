"""Anchors over all case heads: list, take one now, verify (a rewritten chain shows here)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from audit.anchors import AnchorRepository, anchor_view, verify_all
from audit.api import Supervisor, runtime_of
from audit.workers import anchor_once
from caseflow_common.auth import Principal, Role, require
from caseflow_common.http import PageParams, page_params

router = APIRouter()


@router.get("/v1/anchors", tags=["anchors"], summary="Anchors over all case heads, newest first")
async def list_anchors(request: Request, _: Supervisor, paging: Annotated[PageParams, Depends(page_params)]) -> dict:
    """Each anchor's digest of all case heads, chained to the anchor before it."""
    async with runtime_of(request).sessions() as session:
        total, rows = await AnchorRepository(session).page(paging.offset, paging.page_size)
    return {"items": [anchor_view(a) for a in rows], "total": total, "page": paging.page, "page_size": paging.page_size}


@router.post("/v1/anchors", tags=["anchors"], summary="Take an anchor now", status_code=201)
async def take_anchor(request: Request, _: Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.ADMIN))]) -> dict:
    """Anchor the current heads at once (besides the periodic anchors); 201 with the newest anchor."""
    runtime = runtime_of(request)
    await anchor_once(runtime)
    async with runtime.sessions() as session:
        latest = await AnchorRepository(session).latest()
    return {"anchor": None if latest is None else anchor_view(latest)}


@router.get("/v1/anchors/verify", tags=["anchors"], summary="Verify the anchors against today's chains")
async def verify_anchors(request: Request, _: Supervisor) -> dict:
    """The anchor chain recomputes, and every case head the latest anchor holds is still in its chain."""
    async with runtime_of(request).sessions() as session:
        return await verify_all(AnchorRepository(session))
