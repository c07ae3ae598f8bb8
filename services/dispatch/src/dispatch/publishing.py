"""Domain events of a work case -> contract payloads in the outbox, entries in the action log, action metrics."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from caseflow_common.contracts import dispatch as contract
from caseflow_common.events import Actor, Envelope, Payload, new_event
from dispatch import metrics
from dispatch.domain import case_events as ev
from dispatch.reference import Reference
from dispatch.repository import CaseFile
from dispatch.uow import DispatchUnitOfWork

PRODUCER = "dispatch"
# Log names of the events (the action vocabulary of the case's log and of caseflow_case_actions_total).
ACTIONS: dict[type[ev.CaseEvent], str] = {
    ev.CaseDispatched: "dispatched",
    ev.CaseSentToCoordination: "sent_to_coordination",
    ev.CaseAccepted: "accept",
    ev.CaseReturned: "return",
    ev.CaseTransferred: "transfer",
    ev.CaseProgressNoted: "progress",
    ev.CaseSuspended: "suspend",
    ev.CaseResumed: "resume",
    ev.CaseReplied: "reply",
    ev.CaseClosed: "close",
    ev.CaseCoordinated: "coordinate",
    ev.CaseReopened: "reopened",
    ev.CaseMerged: "merged",
}
ROUTING_ACTIONS = {"dispatched", "sent_to_coordination", "reopened", "merged"}


def _routing_facts(file: CaseFile) -> dict[str, Any]:
    f = file.facts
    return {
        "category": f["category"],
        "urgency": f["urgency"],
        "channel": f["channel"],
        "region_code": f["region_code"],
        "district_code": f["district_code"],
        "received_at": f["received_at"],
    }


def to_payload(event: ev.CaseEvent, file: CaseFile, ref: Reference, reason: str | None = None) -> Payload:
    """The published contract of a domain event."""
    base = {"unit": event.unit or "", "at": event.at, "cycle": event.cycle}
    match event:
        case ev.CaseDispatched():
            return contract.CaseDispatched(
                **base,
                **_routing_facts(file),
                unit_name=ref.unit_name(event.unit),
                role=event.role,
                rule_id=event.rule_id,
                routing_version=event.routing_version,
                reason=reason,
            )
        case ev.CaseSentToCoordination():
            return contract.CaseSentToCoordination(
                **base,
                **_routing_facts(file),
                unit_name=ref.unit_name(event.unit),
                level=event.level,
                reason=event.reason,
                routing_version=event.routing_version,
            )
        case ev.CaseAccepted():
            return contract.CaseAccepted(**base)
        case ev.CaseReturned():
            return contract.CaseReturned(
                **base,
                reason=event.reason,
                return_count=event.returns,
                next_step=event.next_step,
                suggested_unit=event.suggested_unit,
            )
        case ev.CaseTransferred():
            return contract.CaseTransferred(**base, to_unit=event.to_unit, reason=event.reason)
        case ev.CaseProgressNoted():
            return contract.CaseProgressNoted(**base, note=event.note)
        case ev.CaseSuspended():
            return contract.CaseSuspended(**base, reason=event.reason)
        case ev.CaseResumed():
            return contract.CaseResumed(**base)
        case ev.CaseReplied():
            return contract.CaseReplied(**base, content=event.content, resolved=event.resolved)
        case ev.CaseClosed():
            return contract.CaseClosed(**base, resolved=file.case.resolved)
        case ev.CaseCoordinated():
            return contract.CaseCoordinated(
                **base,
                lead_unit=event.lead_unit,
                assisting_units=list(event.assisting_units),
                instructions=event.instructions,
            )
    raise TypeError(f"no contract for {type(event).__name__}")


async def record(
    uow: DispatchUnitOfWork,
    file: CaseFile,
    events: list[ev.CaseEvent],
    ref: Reference,
    *,
    actor: Actor,
    causation: Envelope | None = None,
    reason: str | None = None,
) -> None:
    """Put the events in the outbox, append them to the case's action log and count the actions."""
    for event in events:
        action = ACTIONS[type(event)]
        detail = {k: v for k, v in asdict(event).items() if k not in {"case_id", "at", "cycle", "unit"}}
        detail = {k: list(v) if isinstance(v, tuple) else v for k, v in detail.items()}
        if reason and action == "dispatched":
            detail["reason"] = reason
        await uow.cases.log(
            file.case.case_id,
            cycle=event.cycle,
            action=action,
            unit=event.unit,
            actor=actor,
            at=event.at,
            detail=detail,
        )
        if action not in ROUTING_ACTIONS:
            metrics.CASE_ACTIONS.labels(action).inc()
        if event.publish:
            uow.emit(envelope(to_payload(event, file, ref, reason), file.case.case_id, actor, event.at, causation))


def envelope(payload: Payload, case_id: str, actor: Actor, at: datetime, causation: Envelope | None) -> Envelope:
    """A dispatch envelope for a payload."""
    return new_event(payload, case_id=case_id, producer=PRODUCER, actor=actor, occurred_at=at, causation=causation)
