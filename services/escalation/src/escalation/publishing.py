"""escalation's events as envelopes for the unit of work's outbox (``Envelope.to_bytes`` serialises them at commit)."""

from __future__ import annotations

from datetime import UTC, datetime

from caseflow_common.contracts.escalation import SupervisionActionIssued
from caseflow_common.events import Actor, Envelope, Payload
from caseflow_common.ids import uuid7
from caseflow_common.uow import UnitOfWork
from escalation.domain.ladder import SupervisionAction

PRODUCER = "escalation"
SCHEDULER = Actor(role="system", id="escalation")


def envelope(payload: Payload, case_id: str, now: datetime, causation: Envelope | None = None) -> Envelope:
    """One escalation event about a case, caused by `causation` when an arriving event caused it."""
    # Built without re-validation: every field is ours and typed already (a scheduler pass emits thousands).
    return Envelope.model_construct(
        event_id=uuid7(),
        event_type=payload.event_type,
        version=payload.version,
        occurred_at=now.astimezone(UTC),
        case_id=case_id,
        producer=PRODUCER,
        correlation_id=causation.correlation_id if causation else case_id,
        causation_id=str(causation.event_id) if causation else None,
        actor=SCHEDULER,
        payload=payload.model_dump(mode="json"),
    )


def emit(uow: UnitOfWork, payload: Payload, case_id: str, now: datetime, causation: Envelope | None = None) -> None:
    """Put one escalation event in the outbox of this unit of work."""
    uow.emit(envelope(payload, case_id, now, causation))


def manual_issued_event(action: SupervisionAction) -> SupervisionActionIssued:
    """The event of an action a supervisor issued by decision (GZ Art. 48): no clock, no policy decided it."""
    return SupervisionActionIssued(
        action_id=action.id,
        rung=action.rung,
        unit=action.unit,
        case_ids=list(action.case_ids),
        rectification_deadline=action.rectification_deadline,
        cycle=action.cycle,
        issued_at=action.issued_at,
        manual=True,
        reason=action.reason,
        note=action.note,
        issued_by=action.issued_by,
    )
