"""A work case's domain events as dispatch publishes them (caseflow.dispatch.v1) and as its action log names them."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from caseflow_common.contracts import dispatch as contract
from caseflow_common.events import Payload
from dispatch.case_file import CaseFile
from dispatch.domain import case_events as ev
from dispatch.reference import Reference

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
    ev.CasePartReplied: "part_reply",
    ev.CasePoliceNotified: "notify_police",
    ev.CaseNoticeSent: "notice",
    ev.CaseReopened: "reopened",
    ev.CaseMerged: "merged",
}
# Routing steps are counted by caseflow_cases_dispatched_total, not as department actions.
ROUTING_ACTIONS = frozenset({"dispatched", "sent_to_coordination", "reopened", "merged", "notice"})


class _UnitFields(TypedDict):
    unit: str
    at: datetime
    cycle: int


class _RoutingFacts(TypedDict):
    category: str
    urgency: str
    channel: str
    region_code: str
    district_code: str | None
    received_at: datetime | None
    region_codes: list[str]


def _routing_facts(file: CaseFile) -> _RoutingFacts:
    f = file.facts
    return {
        "category": f["category"],
        "urgency": f["urgency"],
        "channel": f["channel"],
        "region_code": f["region_code"],
        "district_code": f["district_code"],
        "received_at": f["received_at"],
        "region_codes": list(f.get("region_codes") or [f["region_code"]]),
    }


def to_payload(event: ev.CaseEvent, file: CaseFile, ref: Reference, reason: str | None = None) -> Payload:
    """The published contract of a domain event.

    Payloads with a closed list the domain holds as text (role, coordination reason, next step) are validated from
    their fields, so the contract model checks those values.
    """
    base: _UnitFields = {"unit": event.unit or "", "at": event.at, "cycle": event.cycle}
    match event:
        case ev.CaseDispatched():
            return contract.CaseDispatched.model_validate(
                {
                    **base,
                    **_routing_facts(file),
                    "role": event.role,
                    "unit_name": ref.unit_name(event.unit),
                    "rule_id": event.rule_id,
                    "routing_version": event.routing_version,
                    "reason": reason,
                    "from_unit": event.from_unit,
                    "from_reason": event.from_reason,
                    "linked_case_id": event.linked_case_id,
                }
            )
        case ev.CaseSentToCoordination():
            return contract.CaseSentToCoordination.model_validate(
                {
                    **base,
                    **_routing_facts(file),
                    "reason": event.reason,
                    "unit_name": ref.unit_name(event.unit),
                    "level": event.level,
                    "routing_version": event.routing_version or file.facts.get("routing_version"),
                    "cause": event.cause,
                    "from_unit": event.from_unit,
                    "from_reason": event.from_reason,
                }
            )
        case ev.CaseAccepted():
            return contract.CaseAccepted(**base)
        case ev.CaseReturned():
            return contract.CaseReturned.model_validate(
                {
                    **base,
                    "next_step": event.next_step,
                    "reason": event.reason,
                    "return_count": event.returns,
                    "suggested_unit": event.suggested_unit,
                    "returned_by": list(event.returned_by),
                }
            )
        case ev.CaseTransferred():
            return contract.CaseTransferred.model_validate(
                {
                    **base,
                    "to_unit": event.to_unit,
                    "reason": event.reason,
                    "to_unit_name": ref.unit_name(event.to_unit),
                    "role": event.role,
                }
            )
        case ev.CaseProgressNoted():
            return contract.CaseProgressNoted.model_validate({**base, "note": event.note, "role": event.role})
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
        case ev.CasePartReplied():
            return contract.CasePartReplied(**base, lead_unit=event.lead_unit, content=event.content)
        case ev.CasePoliceNotified():
            return contract.CasePoliceNotified(
                **base, police_unit=event.police_unit, linked_case_id=event.linked_case_id, reason=event.reason
            )
        case ev.CaseNoticeSent():
            return contract.CaseNoticeSent(
                **base,
                unit_name=ref.unit_name(event.unit),
                category=file.facts["category"],
                region_code=file.facts["region_code"],
                basis=event.basis,
            )
    raise TypeError(f"no contract for {type(event).__name__}")
