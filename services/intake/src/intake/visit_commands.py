"""Commands of the return visit (回访) and evaluation (评价) that close a case's loop (GZ Art. 17).

Each command opens its unit of work and commits it there; its events go to the outbox in that transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError

from caseflow_common.contracts.intake import CaseReopened, VisitRecorded
from caseflow_common.contracts.status import CaseStatus
from caseflow_common.events import Actor, new_event
from intake import metrics
from intake.domain.catalogue_rules import FieldError
from intake.domain.errors import AlreadyVisited, CaseNotClosed, CaseNotFound, EvaluationWithoutContact, InvalidVisit
from intake.domain.times import time_refusal
from intake.domain.visits import PriorAttempt, VisitIn, next_attempt, reopens, visit_refusal, visited_before_closure
from intake.privacy import VaultError, redact_and_seal
from intake.uow import IntakeRuntime, IntakeUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VisitOutcome:
    """What the visit did: the cycle and attempt it recorded, and whether it opened a new cycle."""

    case_id: str
    cycle: int
    attempt: int
    reopened: bool
    status: str


def _refuse_time(refusal: str | None) -> None:
    if refusal is not None:
        raise InvalidVisit([FieldError(("visited_at",), refusal, "time_range")])


async def record_visit(rt: IntakeRuntime, case_id: str, visit: VisitIn, *, actor: Actor) -> VisitOutcome:
    """Record a visit attempt of the current cycle and its evaluation; dissatisfied reopens the case (GZ Art. 17)."""
    if visit.satisfaction is not None and not visit.contacted:
        raise EvaluationWithoutContact(case_id)
    now = rt.clock()
    visited_at = visit.visited_at or now
    _refuse_time(time_refusal(visited_at, now, rt.context.time_limits))
    async with rt.uow() as uow:
        row = await uow.repo.status_row(case_id, for_update=True)
        if row is None:
            raise CaseNotFound(case_id)
        refusal = visit_refusal(row.status)
        if refusal is not None:
            raise CaseNotClosed(refusal)
        prior = [PriorAttempt(r.contacted) for r in await uow.repo.cycle_visits(case_id, row.cycle)]
        attempt = next_attempt(prior)
        if attempt is None:
            raise AlreadyVisited(row.cycle)
        _refuse_time(visited_before_closure(visited_at, await uow.repo.closed_at(case_id, row.cycle)))
        comment = redact_and_seal(rt.context.vault, visit.comment, names=[await _requester_name(uow, rt, case_id)])
        reopened, status = await _visit(uow, case_id, row, attempt, visit, comment, visited_at, actor)
        try:
            await uow.commit()
        except IntegrityError:
            raise AlreadyVisited(row.cycle) from None  # another visit of the same cycle won the race
    label = str(visit.satisfaction) if visit.satisfaction is not None else "not_evaluated"
    metrics.VISITS.labels(label if visit.contacted else "not_contacted").inc()
    log.info(
        "visit recorded",
        extra={"case_id": case_id, "cycle": row.cycle, "attempt": attempt, "reopened": reopened},
    )
    return VisitOutcome(case_id, row.cycle, attempt, reopened, str(status))


async def _requester_name(uow: IntakeUnitOfWork, rt: IntakeRuntime, case_id: str) -> str | None:
    """The requester's name as given, to redact it from what they said; None without one (or a retired key)."""
    requester = await uow.repo.requester(case_id)
    if requester is None or not requester.name_encrypted:
        return None
    try:
        return rt.context.vault.decrypt(requester.name_encrypted)
    except VaultError:
        return None


async def _visit(
    uow: IntakeUnitOfWork,
    case_id: str,
    row: Row[Any],
    attempt: int,
    visit: VisitIn,
    comment: tuple[str, str | None],
    visited_at: datetime,
    actor: Actor,
) -> tuple[bool, str]:
    """Write the attempt, its steps and its events; whether it reopened the case, and the case's status after it.

    ``comment`` is the redacted comment and the sealed original: only the redacted one leaves intake (GZ Art. 15).
    """
    cycle: int = row.cycle
    unit: str | None = row.unit
    status: str = row.status
    now = uow.clock()
    satisfaction = str(visit.satisfaction) if visit.satisfaction is not None else None
    await uow.repo.add_visit(
        case_id,
        cycle=cycle,
        attempt=attempt,
        contacted=visit.contacted,
        satisfaction=satisfaction,
        comment=comment[0],
        comment_sealed=comment[1],
        at=visited_at,
    )
    # An attempt that could not reach the requester (联系不上) is a step of its own; the case stays closed.
    note = satisfaction if visit.contacted else "not_contacted"
    await uow.repo.add_step(case_id, event_type="VisitRecorded", at=visited_at, unit=unit, note=note, cycle=cycle)
    recorded = VisitRecorded(
        contacted=visit.contacted,
        satisfaction=visit.satisfaction,
        comment=comment[0],
        visited_at=visited_at,
        cycle=cycle,
        unit=unit,
        attempt=attempt,
    )
    # A merged request (并单) is visited under its own case id: its requester's evaluation is theirs.
    uow.emit(new_event(recorded, case_id=case_id, producer="intake", actor=actor, occurred_at=now))
    reopened = reopens(visit)
    if reopened:
        # A dissatisfied evaluation sends the case back for another handling cycle (GZ Art. 17); the evaluation
        # stays with the cycle it judged, and the next cycle gets its own visit.
        cycle, status = cycle + 1, CaseStatus.REOPENED
        await uow.repo.add_step(case_id, event_type="CaseReopened", at=now, unit=unit, note=None, cycle=cycle)
        reopening = CaseReopened(reason="dissatisfied evaluation", cycle=cycle, unit=unit)
        uow.emit(new_event(reopening, case_id=case_id, producer="intake", actor=actor, occurred_at=now))
    await uow.repo.set_status(case_id, status=status, cycle=cycle, updated_at=now)
    return reopened, status
