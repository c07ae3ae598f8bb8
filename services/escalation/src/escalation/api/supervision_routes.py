"""Supervision actions (GZ Art. 48; SZ Art. 56) and pattern warnings (SZ Art. 21; GZ Art. 48(3))."""

from __future__ import annotations

from fastapi import APIRouter

from caseflow_common.auth import Role
from caseflow_common.http import Page
from escalation import commands
from escalation.api.deps import ActionReader, Paging, Rectifier, Runtime, WarningReader
from escalation.api.errors import api_errors
from escalation.domain.ladder import ActionStatus
from escalation.issued import IssuedRung, RaisedPatternKind
from escalation.views import ActionView, ResolveBody, WarningView

router = APIRouter(prefix="/v1", tags=["supervision"])


@router.get("/supervision/actions", response_model=Page[ActionView])
async def list_actions(
    runtime: Runtime,
    principal: ActionReader,
    paging: Paging,
    unit: str | None = None,
    rung: IssuedRung | None = None,
    status: ActionStatus | None = None,
) -> Page[ActionView]:
    """Supervision actions, newest first; a department sees only those addressed to it."""
    if principal.role is Role.DEPARTMENT:
        unit = principal.unit
    async with runtime.uow() as uow:
        rows, total = await uow.repo.list_actions(
            unit=unit, rung=rung, status=status, offset=paging.offset, limit=paging.page_size
        )
    return Page(items=[ActionView.of(r) for r in rows], total=total, page=paging.page, page_size=paging.page_size)


@router.post("/supervision/actions/{action_id}/resolve", response_model=ActionView)
async def resolve_action(action_id: str, body: ResolveBody, runtime: Runtime, principal: Rectifier) -> ActionView:
    """The addressed unit reports its rectification (整改); in time, it stops the climb. Resolving twice is a no-op."""
    with api_errors():
        row = await commands.resolve_action(runtime, action_id, principal, body.rectification)
    return ActionView.of(row)


@router.get("/warnings", response_model=Page[WarningView])
async def list_warnings(
    runtime: Runtime,
    principal: WarningReader,
    paging: Paging,
    kind: RaisedPatternKind | None = None,
    coordination_unit: str | None = None,
) -> Page[WarningView]:
    """Pattern warnings (repeats, hotspots, low satisfaction); a coordination institution sees its own."""
    if principal.role is Role.COORDINATION:
        coordination_unit = principal.unit
    async with runtime.uow() as uow:
        rows, total = await uow.repo.list_warnings(
            coordination_unit=coordination_unit, kind=kind, offset=paging.offset, limit=paging.page_size
        )
    return Page(items=[WarningView.of(r) for r in rows], total=total, page=paging.page, page_size=paging.page_size)
