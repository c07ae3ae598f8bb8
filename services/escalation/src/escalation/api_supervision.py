"""Supervision actions (GZ Art. 48; SZ Art. 56) and pattern warnings (SZ Art. 21; GZ Art. 48(3))."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from caseflow_common.auth import Principal, Role, require
from caseflow_common.contracts.escalation import SupervisionActionResolved
from caseflow_common.errors import not_found
from caseflow_common.events import new_event
from caseflow_common.http import Page, PageParams, page_params
from escalation.clock_store import action_from_row, clock_from_row
from escalation.config import ConfigStore
from escalation.domain.ladder import ActionStatus, Rung
from escalation.domain.patterns import PatternKind
from escalation.domain.timer import next_due_at
from escalation.views import ActionView, ResolveBody, WarningView

router = APIRouter(prefix="/v1", tags=["supervision"])


@router.get("/supervision/actions", response_model=Page[ActionView])
async def list_actions(
    request: Request,
    principal: Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.COORDINATION, Role.DEPARTMENT))],
    paging: Annotated[PageParams, Depends(page_params)],
    unit: str | None = None,
    rung: Rung | None = None,
    status: ActionStatus | None = None,
) -> Page[ActionView]:
    """Supervision actions, newest first; a department sees only those addressed to it."""
    if principal.role is Role.DEPARTMENT:
        unit = principal.unit
    async with request.app.state.runtime.uow() as uow:
        rows, total = await uow.repo.list_actions(
            unit=unit, rung=rung, status=status, offset=paging.offset, limit=paging.page_size
        )
    return Page(items=[ActionView.of(r) for r in rows], total=total, page=paging.page, page_size=paging.page_size)


@router.post("/supervision/actions/{action_id}/resolve", response_model=ActionView)
async def resolve_action(
    action_id: str,
    body: ResolveBody,
    request: Request,
    principal: Annotated[Principal, Depends(require(Role.DEPARTMENT, Role.COORDINATION))],
) -> ActionView:
    """The addressed unit reports its rectification (整改); in time, it stops the climb. Resolving twice is a no-op."""
    runtime = request.app.state.runtime
    store: ConfigStore = runtime.context.config
    now = runtime.clock()
    async with runtime.uow() as uow:
        repo = uow.repo
        row = await repo.action(action_id, lock=True)
        if row is None or row.unit != principal.unit:
            raise not_found("supervision action")
        if row.status == ActionStatus.RESOLVED:
            return ActionView.of(row)
        await repo.resolve_action(action_id, at=now, by=principal.subject, rectification=body.rectification)
        uow.emit(
            new_event(
                SupervisionActionResolved(
                    action_id=action_id, rung=row.rung, unit=row.unit, rectification=body.rectification, resolved_at=now
                ),
                case_id=row.case_id,
                producer="escalation",
                actor=principal.actor,
                occurred_at=now,
            )
        )
        # The clock's next moment depends on whether this rung was rectified in time.
        cfg = await store.refresh(repo)
        actions = [action_from_row(a) for a in await repo.actions_of_cases([row.case_id])]
        for c in await repo.clock_rows([row.case_id], lock=True):
            if c.cycle == row.cycle and c.kind == row.clock_kind:
                await repo.set_next_due([(c.id, next_due_at(clock_from_row(c, cfg.calendar), actions, cfg.ladder))])
        await uow.commit()
        return ActionView.of(await repo.action(action_id))


@router.get("/warnings", response_model=Page[WarningView])
async def list_warnings(
    request: Request,
    principal: Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.COORDINATION))],
    paging: Annotated[PageParams, Depends(page_params)],
    kind: PatternKind | None = None,
    coordination_unit: str | None = None,
) -> Page[WarningView]:
    """Pattern warnings (repeats, hotspots, low satisfaction); a coordination institution sees its own."""
    if principal.role is Role.COORDINATION:
        coordination_unit = principal.unit
    async with request.app.state.runtime.uow() as uow:
        rows, total = await uow.repo.list_warnings(
            coordination_unit=coordination_unit, kind=kind, offset=paging.offset, limit=paging.page_size
        )
    return Page(items=[WarningView.of(r) for r in rows], total=total, page=paging.page, page_size=paging.page_size)
