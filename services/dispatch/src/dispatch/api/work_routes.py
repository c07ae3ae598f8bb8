"""The department and coordination work API: the caller's own queue and the actions on a case (API.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from caseflow_common.auth import Principal, Role, require
from caseflow_common.http import PageParams, page_params
from dispatch import views
from dispatch.api.errors import api_errors
from dispatch.api.schemas import CoordinateBody, NoteBody, ReasonBody, ReplyBody, ReturnBody, TransferBody
from dispatch.commands import CaseActions, load_scoped
from dispatch.domain import CaseStatus
from dispatch.repository import CaseFile
from dispatch.uow import DispatchUnitOfWork

router = APIRouter(tags=["work"])
Department = Annotated[Principal, Depends(require(Role.DEPARTMENT))]
Coordination = Annotated[Principal, Depends(require(Role.COORDINATION))]
Worker = Annotated[Principal, Depends(require(Role.DEPARTMENT, Role.COORDINATION))]
Paging = Annotated[PageParams, Depends(page_params)]
Action = Callable[[CaseActions, DispatchUnitOfWork], Awaitable[CaseFile]]
STATE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such case among the caller's own"},
    409: {"description": "the case's state does not allow the action (the reason is given)"},
}


async def _act(request: Request, who: Principal, action: Action) -> dict[str, Any]:
    runtime = request.app.state.runtime
    ctx = runtime.context
    with api_errors():
        async with runtime.uow() as uow:
            file = await action(CaseActions(runtime.context), uow)
            await uow.commit()
    role = file.case.role if file.case.unit == who.unit else (await _role(runtime, file, who))
    return views.summary(file.facts, role, ctx.reference)


async def _role(runtime: Any, file: CaseFile, who: Principal) -> str:
    async with runtime.uow() as uow:
        return await uow.cases.assignment_role(file.case.case_id, who.unit or "") or "none"


@router.get("/v1/work/cases", summary="The caller's own queue")
async def queue(request: Request, who: Worker, paging: Paging, status: CaseStatus | None = None) -> dict[str, Any]:
    """Cases the caller's unit handles, assists or coordinates, newest first; filter by status."""
    runtime = request.app.state.runtime
    ref = runtime.context.reference
    async with runtime.uow() as uow:
        rows, total = await uow.cases.queue(
            who.unit or "", status=status.value if status else None, offset=paging.offset, limit=paging.page_size
        )
        roles = await uow.cases.roles_of(who.unit or "", [r.case_id for r in rows if r.unit != who.unit])
    items = [
        views.summary(r._mapping, r.role if r.unit == who.unit else roles.get(r.case_id, "none"), ref) for r in rows
    ]
    return {"items": items, "total": total, "page": paging.page, "page_size": paging.page_size}


@router.get("/v1/work/cases/{case_id}", summary="One case (requester masked)", responses=STATE_ERRORS)
async def get_case(request: Request, case_id: str, who: Worker) -> dict[str, Any]:
    """The case with its routing decision, coordination, repeats, supervision and action log."""
    runtime = request.app.state.runtime
    with api_errors():
        async with runtime.uow() as uow:
            scoped = await load_scoped(uow, case_id, who.unit)
            return await views.detail(uow, scoped.file.facts, scoped.role, runtime.context.reference)


@router.post("/v1/work/cases/{case_id}/accept", summary="签收: sign for the case", responses=STATE_ERRORS)
async def accept(request: Request, case_id: str, who: Department) -> dict[str, Any]:
    """签收: the department signs for a dispatched case."""
    return await _act(request, who, lambda a, uow: a.accept(uow, case_id, who))


@router.post("/v1/work/cases/{case_id}/return", summary="退单: return the case", responses=STATE_ERRORS)
async def return_case(request: Request, case_id: str, body: ReturnBody, who: Department) -> dict[str, Any]:
    """退单: not this unit's duty; re-dispatched, or sent to coordination after the configured returns."""
    return await _act(
        request,
        who,
        lambda a, uow: a.return_(uow, case_id, who, reason=body.reason, suggested_unit=body.suggested_unit),
    )


@router.post("/v1/work/cases/{case_id}/transfer", summary="移送: transfer the case", responses=STATE_ERRORS)
async def transfer(request: Request, case_id: str, body: TransferBody, who: Department) -> dict[str, Any]:
    """移送 to the unit that holds the duty (SZ Art. 25); suspected crime to public security."""
    return await _act(
        request,
        who,
        lambda a, uow: a.transfer(
            uow, case_id, who, to_unit=body.to_unit, reason=body.reason, suspected_crime=body.suspected_crime
        ),
    )


@router.post("/v1/work/cases/{case_id}/progress", summary="办理: add a progress note", responses=STATE_ERRORS)
async def progress(request: Request, case_id: str, body: NoteBody, who: Department) -> dict[str, Any]:
    """A progress note by the handling unit or an assisting (协办) unit."""
    return await _act(request, who, lambda a, uow: a.progress(uow, case_id, who, note=body.note))


@router.post("/v1/work/cases/{case_id}/suspend", summary="Suspend: wait on the requester", responses=STATE_ERRORS)
async def suspend(request: Request, case_id: str, body: ReasonBody, who: Department) -> dict[str, Any]:
    """Handling waits on the requester; clocks pause."""
    return await _act(request, who, lambda a, uow: a.suspend(uow, case_id, who, reason=body.reason))


@router.post("/v1/work/cases/{case_id}/resume", summary="Resume handling", responses=STATE_ERRORS)
async def resume(request: Request, case_id: str, who: Department) -> dict[str, Any]:
    """Handling continues after a suspension."""
    return await _act(request, who, lambda a, uow: a.resume(uow, case_id, who))


@router.post("/v1/work/cases/{case_id}/reply", summary="答复: reply to the requester", responses=STATE_ERRORS)
async def reply(request: Request, case_id: str, body: ReplyBody, who: Department) -> dict[str, Any]:
    """答复: the handling unit's reply, and whether the matter is resolved."""
    return await _act(
        request, who, lambda a, uow: a.reply(uow, case_id, who, content=body.content, resolved=body.resolved)
    )


@router.post("/v1/work/cases/{case_id}/close", summary="办结: close the case", responses=STATE_ERRORS)
async def close(request: Request, case_id: str, who: Department) -> dict[str, Any]:
    """办结, only after a reply."""
    return await _act(request, who, lambda a, uow: a.close(uow, case_id, who))


@router.post(
    "/v1/work/cases/{case_id}/coordinate", summary="Coordinate: name lead and assisting units", responses=STATE_ERRORS
)
async def coordinate(request: Request, case_id: str, body: CoordinateBody, who: Coordination) -> dict[str, Any]:
    """The coordination institution names the lead (主办) and assisting (协办) units (GZ Art. 10; SZ Art. 24)."""
    return await _act(
        request,
        who,
        lambda a, uow: a.coordinate(
            uow,
            case_id,
            who,
            lead_unit=body.lead_unit,
            assisting_units=body.assisting_units,
            instructions=body.instructions,
        ),
    )
