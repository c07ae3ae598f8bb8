"""The department and coordination work API: the caller's own queue and the actions on a case (API.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch import commands, views
from dispatch.api.deps import Coordination, Department, Paging, Runtime, Worker
from dispatch.api.schemas import CoordinateBody, NoteBody, ReasonBody, ReplyBody, ReturnBody, TransferBody
from dispatch.domain import CaseStatus

router = APIRouter(tags=["work"])
STATE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such case among the caller's own"},
    409: {"description": "the case's state does not allow the action (the reason is given)"},
}


@router.get("/v1/work/cases", summary="The caller's own queue")
async def queue(rt: Runtime, who: Worker, paging: Paging, status: CaseStatus | None = None) -> dict[str, Any]:
    """Cases the caller's unit handles, assists or coordinates, newest first; filter by status."""
    return await views.queue(rt, who, paging, status)


@router.get("/v1/work/cases/{case_id}", summary="One case (requester masked)", responses=STATE_ERRORS)
async def get_case(rt: Runtime, case_id: str, who: Worker) -> dict[str, Any]:
    """The case with its routing decision, coordination, repeats, supervision and action log."""
    return await views.case(rt, case_id, who)


@router.post("/v1/work/cases/{case_id}/accept", summary="签收: sign for the case", responses=STATE_ERRORS)
async def accept(rt: Runtime, case_id: str, who: Department) -> dict[str, Any]:
    """签收: the department signs for a dispatched case."""
    return views.acted(await commands.accept(rt, case_id, who), rt.context.reference)


@router.post("/v1/work/cases/{case_id}/return", summary="退单: return the case", responses=STATE_ERRORS)
async def return_case(rt: Runtime, case_id: str, body: ReturnBody, who: Department) -> dict[str, Any]:
    """退单: not this unit's duty; re-dispatched, or sent to coordination after the configured returns."""
    done = await commands.return_(rt, case_id, who, reason=body.reason, suggested_unit=body.suggested_unit)
    return views.acted(done, rt.context.reference)


@router.post("/v1/work/cases/{case_id}/transfer", summary="移送: transfer the case", responses=STATE_ERRORS)
async def transfer(rt: Runtime, case_id: str, body: TransferBody, who: Department) -> dict[str, Any]:
    """移送 to the unit that holds the duty (SZ Art. 25); suspected crime to public security."""
    done = await commands.transfer(
        rt, case_id, who, to_unit=body.to_unit, reason=body.reason, suspected_crime=body.suspected_crime
    )
    return views.acted(done, rt.context.reference)


@router.post("/v1/work/cases/{case_id}/progress", summary="办理: add a progress note", responses=STATE_ERRORS)
async def progress(rt: Runtime, case_id: str, body: NoteBody, who: Department) -> dict[str, Any]:
    """A progress note by the handling unit or an assisting (协办) unit."""
    return views.acted(await commands.progress(rt, case_id, who, note=body.note), rt.context.reference)


@router.post("/v1/work/cases/{case_id}/suspend", summary="Suspend: wait on the requester", responses=STATE_ERRORS)
async def suspend(rt: Runtime, case_id: str, body: ReasonBody, who: Department) -> dict[str, Any]:
    """Handling waits on the requester; clocks pause."""
    return views.acted(await commands.suspend(rt, case_id, who, reason=body.reason), rt.context.reference)


@router.post("/v1/work/cases/{case_id}/resume", summary="Resume handling", responses=STATE_ERRORS)
async def resume(rt: Runtime, case_id: str, who: Department) -> dict[str, Any]:
    """Handling continues after a suspension."""
    return views.acted(await commands.resume(rt, case_id, who), rt.context.reference)


@router.post("/v1/work/cases/{case_id}/reply", summary="答复: reply to the requester", responses=STATE_ERRORS)
async def reply(rt: Runtime, case_id: str, body: ReplyBody, who: Department) -> dict[str, Any]:
    """答复: the handling unit's reply, and whether the matter is resolved."""
    done = await commands.reply(rt, case_id, who, content=body.content, resolved=body.resolved)
    return views.acted(done, rt.context.reference)


@router.post("/v1/work/cases/{case_id}/close", summary="办结: close the case", responses=STATE_ERRORS)
async def close(rt: Runtime, case_id: str, who: Department) -> dict[str, Any]:
    """办结, only after a reply."""
    return views.acted(await commands.close(rt, case_id, who), rt.context.reference)


@router.post(
    "/v1/work/cases/{case_id}/coordinate", summary="Coordinate: name lead and assisting units", responses=STATE_ERRORS
)
async def coordinate(rt: Runtime, case_id: str, body: CoordinateBody, who: Coordination) -> dict[str, Any]:
    """The coordination institution names the lead (主办) and assisting (协办) units (GZ Art. 10; SZ Art. 24)."""
    done = await commands.coordinate(
        rt,
        case_id,
        who,
        lead_unit=body.lead_unit,
        assisting_units=body.assisting_units,
        instructions=body.instructions,
    )
    return views.acted(done, rt.context.reference)
