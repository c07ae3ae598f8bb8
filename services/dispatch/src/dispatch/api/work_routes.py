"""The department and coordination work API: the caller's own queue (deadlines, filters, order, ETags), its summary,
the live stream of its changes, and the actions on a case (API.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import AwareDatetime
from sqlalchemy import Row
from starlette.background import BackgroundTask

from caseflow_common.errors import ApiError
from caseflow_common.http import conditional_json
from dispatch import commands, coordination_commands, police_notice, views
from dispatch.api.deps import Coordination, Department, Paging, Runtime, StreamWorker, Worker
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
from dispatch.read_repository import QueueQuery
from dispatch.stream import case_changes
from dispatch.uow import DispatchUnitOfWork

router = APIRouter(tags=["work"])
STATE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such case among the caller's own"},
    409: {"description": "the case's state does not allow the action (the reason is given)"},
}


STATUSES = frozenset(s.value for s in CaseStatus)


async def queue_query(
    status: Annotated[
        list[str] | None,
        Query(description="one or more statuses: `status=a,b` or `status=a&status=b` (any status when absent)"),
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="true: only cases with a running deadline passed; false: only the others")
    ] = None,
    updated_since: Annotated[
        AwareDatetime | None, Query(description="only cases changed at or after this time (ISO 8601 with offset)")
    ] = None,
    sort: Annotated[
        str,
        Query(
            pattern=r"^-?(deadline|received|updated)$",
            description="deadline (the earliest running one; cases without one last), received or updated; a `-` "
            "prefix sorts descending. Default `-received`: newest first",
        ),
    ] = "-received",
) -> QueueQuery:
    """The queue's filters and order from the query string; an unknown status is 422 with the statuses known."""
    wanted = [part.strip() for value in status or [] for part in value.split(",") if part.strip()]
    unknown = sorted(set(wanted) - STATUSES)
    if unknown:
        raise ApiError(
            422,
            "invalid_request",
            f"unknown status {', '.join(unknown)}; known: {', '.join(sorted(STATUSES))}",
            [{"loc": ["query", "status"], "msg": f"unknown status {u}"} for u in unknown],
        )
    try:
        since = updated_since.astimezone(UTC) if updated_since else None  # stored in UTC
    except OverflowError:  # 0001-01-01T00:00+14:00 or 9999-12-31T23:59-14:00: no such time in UTC
        raise ApiError(
            422,
            "invalid_request",
            "invalid fields: updated_since",
            [
                {
                    "field": "updated_since",
                    "message": "time is outside the representable range",
                    "type": "datetime_range",
                }
            ],
        ) from None
    return QueueQuery(
        statuses=tuple(dict.fromkeys(wanted)),
        overdue=overdue,
        updated_since=since,
        sort=sort.removeprefix("-"),
        descending=sort.startswith("-"),
    )


Queue = Annotated[QueueQuery, Depends(queue_query)]
CONDITIONAL: dict[int | str, dict[str, Any]] = {
    304: {"description": "not modified: `If-None-Match` names the current ETag"},
}


@router.get("/v1/work/cases", summary="The caller's own queue", responses=CONDITIONAL)
async def queue(request: Request, rt: Runtime, who: Worker, paging: Paging, query: Queue) -> Response:
    """Cases the caller's unit handles, assists or coordinates: each with its running deadlines (clock kind -> due
    time), the earliest of them (`next_deadline`), `overdue`, its open supervision actions and `updated_at`.
    Filter by one or more statuses, `overdue`, `updated_since`; sort by deadline, received or updated. Answers carry
    an ETag; `If-None-Match` with it gives 304 while nothing changed."""
    return conditional_json(request, await views.queue(rt, who, paging, query))


@router.get("/v1/work/summary", summary="The caller's unit at a glance")
async def summary(rt: Runtime, who: Worker) -> dict[str, Any]:
    """The caller's unit's cases by status, how many are overdue, how many fall due by the end of the city's day
    (Asia/Shanghai; not yet overdue), and the open supervision actions addressed to the unit by rung."""
    return await views.work_summary(rt, who)


@router.get(
    "/v1/work/stream",
    summary="Live changes of the caller's unit's cases (server-sent events)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "the event stream"},
        429: {"description": "the unit holds the most open streams allowed"},
    },
)
async def stream(
    rt: Runtime,
    who: StreamWorker,
    last_event_id: Annotated[
        str | None, Header(description="resume after this change id (EventSource sends it on reconnect)")
    ] = None,
    after: Annotated[
        int | None, Query(ge=0, description="resume after this change id (as Last-Event-ID, for clients without it)")
    ] = None,
) -> StreamingResponse:
    """`text/event-stream` of the caller's unit's case changes: event `case`, `data` the queue item as JSON (as in
    `GET /v1/work/cases`, with `change_id`), `id` the change number. With `Last-Event-ID` (or `after`) it first
    replays every case changed since that id (each once, as it is now), then sends changes live; without, only
    live ones. A `: heartbeat` comment while idle. The token may come as `?access_token=` on this endpoint only
    (EventSource cannot set headers). A unit may hold a bounded number of open streams (429 past it); a stream
    ends after a while (`retry` tells the client to reconnect) and at shutdown."""
    resume = _change_id(last_event_id) if last_event_id is not None else after
    unit, ref = who.unit or "", rt.context.reference
    async with rt.uow() as uow:
        latest = await uow.reads.latest_change()
    start = latest if resume is None else min(resume, latest)
    limits = rt.context.stream
    release = rt.context.changes.admit(unit, limits.max_per_unit, max(1, round(limits.heartbeat_s)))

    async def items(uow: DispatchUnitOfWork, rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
        return await views.queue_items(uow, unit, rows, ref, rt.clock())

    body = case_changes(rt, unit, start, release, items)
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(release),
    )


def _change_id(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ApiError(422, "invalid_request", "Last-Event-ID must be a change id (a whole number, 0 or more)")
    return value


@router.get(
    "/v1/work/cases/{case_id}", summary="One case (requester masked)", responses={**STATE_ERRORS, **CONDITIONAL}
)
async def get_case(request: Request, rt: Runtime, case_id: str, who: Worker) -> Response:
    """The case as a queue item, with its clocks, routing decision, coordination, repeats, supervision and action
    log. Answers carry an ETag; `If-None-Match` with it gives 304 while nothing changed."""
    return conditional_json(request, await views.case(rt, case_id, who))


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
