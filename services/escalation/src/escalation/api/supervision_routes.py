"""Supervision actions (GZ Art. 48; SZ Art. 56) and pattern warnings (SZ Art. 21; GZ Art. 48(3))."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from caseflow_common.auth import Role
from caseflow_common.http import Page
from escalation import commands
from escalation.api.deps import ActionReader, Paging, Rectifier, Runtime, Supervisor, WarningReader
from escalation.api.errors import api_errors
from escalation.domain.ladder import ActionStatus
from escalation.issued import IssuedRung, RaisedPatternKind
from escalation.views import ActionView, ManualActionBody, ResolveBody, WarningView

router = APIRouter(prefix="/v1", tags=["supervision"])


@router.get("/supervision/actions", response_model=Page[ActionView])
async def list_actions(
    runtime: Runtime,
    principal: ActionReader,
    paging: Paging,
    unit: str | None = None,
    rung: IssuedRung | None = None,
    status: ActionStatus | None = None,
    manual: Annotated[bool | None, Query(description="only manual (true) or only clock-driven (false) actions")] = None,
) -> Page[ActionView]:
    """Supervision actions, newest first; a department sees only those addressed to it, a coordination
    institution those addressed to units of its own area (the city's office: every unit)."""
    units = None
    if principal.role is Role.DEPARTMENT:
        unit = principal.unit
    elif principal.role is Role.COORDINATION:
        units = runtime.context.coordination.units_in_area(principal.unit or "")
    async with runtime.uow() as uow:
        rows, total = await uow.repo.list_actions(
            unit=unit,
            units=units,
            rung=rung,
            status=status,
            manual=manual,
            offset=paging.offset,
            limit=paging.page_size,
        )
    return Page(items=[ActionView.of(r) for r in rows], total=total, page=paging.page, page_size=paging.page_size)


@router.post(
    "/supervision/actions",
    response_model=ActionView,
    status_code=201,
    responses={200: {"model": ActionView, "description": "the same decision was issued before: that action"}},
)
async def issue_action(
    body: ManualActionBody, runtime: Runtime, principal: Supervisor, response: Response
) -> ActionView:
    """Issue a rung by decision (GZ Art. 48 (1)-(6)): 通报, 约谈, 挂牌督办 or any rung of the ladder, to a unit,
    naming one or several of its cases, the situation and the rectification deadline (责令限期整改). It is
    recorded, announced and resolved by the unit like the automatic ones; the same decision again answers 200
    with the action already issued."""
    with api_errors():
        issued = await commands.issue_manual_action(runtime, body.decision(principal.subject), principal)
    if not issued.created:
        response.status_code = 200
    return ActionView.of(issued.row)


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
    min_level: Annotated[int | None, Query(ge=1, le=100, description="only warnings of this level or graver")] = None,
) -> Page[WarningView]:
    """Pattern warnings (repeats, hotspots, low satisfaction), newest first, each with its level (SZ Art. 21
    分级预警); a coordination institution sees its own and those it is notified of, a department (e.g. the
    public-security unit of the area, for crime-clue hotspots) those it is notified of."""
    recipient = None
    if principal.role is Role.COORDINATION:
        coordination_unit = recipient = principal.unit
    elif principal.role is Role.DEPARTMENT:
        coordination_unit, recipient = None, principal.unit
    async with runtime.uow() as uow:
        rows, total = await uow.repo.list_warnings(
            coordination_unit=coordination_unit,
            recipient=recipient,
            kind=kind,
            min_level=min_level,
            offset=paging.offset,
            limit=paging.page_size,
        )
        notified = await uow.repo.recipients_of([r.id for r in rows])
    items = [WarningView.of(r, notified.get(r.id)) for r in rows]
    return Page(items=items, total=total, page=paging.page, page_size=paging.page_size)
