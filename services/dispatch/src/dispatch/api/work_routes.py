"""The department and coordination work API: the caller's own queue and the actions on a case (API.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch import commands, coordination_commands, police_notice, views
from dispatch.api.deps import Coordination, Department, Paging, Runtime, Worker
from dispatch.api.schemas import (
    CoordinateBody,
    EscalateBody,
    NoteBody,
    PartReplyBody,
    PoliceNoticeBody,
    ReasonBody,
    ReferBody,
    ReplyBody,
    ReturnBody,
    TransferBody,
)
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
    """退单: not this unit's duty. Never back to a unit that returned it: the suggested unit, the next candidate of
    the routing table, else coordination (also after the configured returns); the reason travels with the case."""
    done = await commands.return_(rt, case_id, who, reason=body.reason, suggested_unit=body.suggested_unit)
    return views.acted(done, rt.context.reference)


@router.post("/v1/work/cases/{case_id}/transfer", summary="移送: transfer the case", responses=STATE_ERRORS)
async def transfer(rt: Runtime, case_id: str, body: TransferBody, who: Department) -> dict[str, Any]:
    """移送 to the unit that holds the duty (SZ Art. 25); suspected crime to public security. The receiver gets it as
    a fresh assignment; the giver's access ends (its past steps stay in the record)."""
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
    """The coordination institution names the lead (主办) and assisting (协办) units within its own area (the city's
    office names anyone; 422 otherwise), GZ Art. 10; SZ Art. 24."""
    done = await coordination_commands.coordinate(
        rt,
        case_id,
        who,
        lead_unit=body.lead_unit,
        assisting_units=body.assisting_units,
        instructions=body.instructions,
    )
    return views.acted(done, rt.context.reference)


@router.post("/v1/work/cases/{case_id}/refer", summary="提请协调: ask for coordination", responses=STATE_ERRORS)
async def refer(rt: Runtime, case_id: str, body: ReferBody, who: Department) -> dict[str, Any]:
    """The handling department asks for coordination with a reason: the institution that coordinated the case
    before, else the lowest one covering every region of the case (GZ Art. 10; SZ Art. 24)."""
    return views.acted(await coordination_commands.refer(rt, case_id, who, reason=body.reason), rt.context.reference)


@router.post(
    "/v1/work/cases/{case_id}/escalate", summary="Pass the case up a coordination level", responses=STATE_ERRORS
)
async def escalate(rt: Runtime, case_id: str, body: EscalateBody, who: Coordination) -> dict[str, Any]:
    """The institution holding the case passes it one level up (street centre -> district office -> city office)
    with a reason; 422 at the city office, which has no level above it."""
    done = await coordination_commands.escalate(rt, case_id, who, reason=body.reason)
    return views.acted(done, rt.context.reference)


@router.post(
    "/v1/work/cases/{case_id}/part-reply", summary="协办: an assisting unit's part reply", responses=STATE_ERRORS
)
async def part_reply(rt: Runtime, case_id: str, body: PartReplyBody, who: Department) -> dict[str, Any]:
    """An assisting unit (协办) answers its part to the lead, once per handling cycle; the lead sees it in the case."""
    done = await coordination_commands.part_reply(rt, case_id, who, content=body.content)
    return views.acted(done, rt.context.reference)


@router.post(
    "/v1/work/cases/{case_id}/notify-police",
    summary="Notify public security of a suspected crime, keeping the case",
    responses=STATE_ERRORS,
)
async def notify_police(rt: Runtime, case_id: str, body: PoliceNoticeBody, who: Department) -> dict[str, Any]:
    """The handling department tells public security of a suspected crime and keeps its own handling (GZ Art. 20 ¶3;
    SZ Art. 28 ¶2); the police get a linked case of their own (its id in `police_case_id`). Once per case."""
    done = await police_notice.notify_police(rt, case_id, who, reason=body.reason, police_unit=body.police_unit)
    return views.acted(done, rt.context.reference)
