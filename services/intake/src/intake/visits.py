"""Command: record a return visit (回访) and evaluation (评价); a dissatisfied one reopens the case (GZ Art. 17)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from caseflow_common.contracts.intake import CaseReopened, VisitRecorded
from caseflow_common.errors import ApiError, not_found
from caseflow_common.events import Actor, new_event
from intake import metrics
from intake.context import IntakeUnitOfWork
from intake.domain.status import CaseStatus
from intake.domain.visits import VisitIn, reopens, visit_refusal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VisitOutcome:
    """What the visit did: the cycle it evaluated, and whether it opened a new one."""

    case_id: str
    cycle: int
    reopened: bool
    status: str


def _already_visited(cycle: int) -> ApiError:
    return ApiError(409, "already_visited", f"the return visit of handling cycle {cycle} is already recorded")


async def record_visit(uow: IntakeUnitOfWork, case_id: str, visit: VisitIn, *, actor: Actor) -> VisitOutcome:
    """Record the visit of the case's current cycle; emit VisitRecorded, and CaseReopened when dissatisfied."""
    if visit.satisfaction is not None and not visit.contacted:
        raise ApiError(
            422,
            "invalid_request",
            "invalid fields: satisfaction",
            [{"field": "satisfaction", "message": "an evaluation needs a requester who was reached"}],
        )
    row = await uow.repo.status_row(case_id, for_update=True)
    if row is None:
        raise not_found("case")
    refusal = visit_refusal(row.status)
    if refusal is not None:
        raise ApiError(409, "case_not_closed", refusal)
    if await uow.repo.has_visit(case_id, row.cycle):
        raise _already_visited(row.cycle)
    now = uow.clock()
    satisfaction = str(visit.satisfaction) if visit.satisfaction is not None else None
    await uow.repo.add_visit(
        case_id, cycle=row.cycle, contacted=visit.contacted, satisfaction=satisfaction, comment=visit.comment, at=now
    )
    await uow.repo.add_step(
        case_id, event_type="VisitRecorded", at=now, unit=row.unit, note=satisfaction, cycle=row.cycle
    )
    uow.emit(
        new_event(
            VisitRecorded(
                contacted=visit.contacted,
                satisfaction=satisfaction,
                comment=visit.comment,
                visited_at=now,
                cycle=row.cycle,
                unit=row.unit,
            ),
            case_id=case_id,
            producer="intake",
            actor=actor,
            occurred_at=now,
        )
    )
    reopened, cycle, status = reopens(visit), row.cycle, row.status
    if reopened:
        # A dissatisfied evaluation sends the case back for another handling cycle.
        cycle, status = row.cycle + 1, CaseStatus.REOPENED
        await uow.repo.add_step(case_id, event_type="CaseReopened", at=now, unit=row.unit, note=None, cycle=cycle)
        uow.emit(
            new_event(
                CaseReopened(reason="dissatisfied evaluation", cycle=cycle, unit=row.unit),
                case_id=case_id,
                producer="intake",
                actor=actor,
                occurred_at=now,
            )
        )
    await uow.repo.set_status(case_id, status=status, cycle=cycle, updated_at=now)
    try:
        await uow.commit()
    except IntegrityError:
        raise _already_visited(row.cycle) from None  # a second visit of the same cycle won the race
    metrics.VISITS.labels(satisfaction or "not_evaluated").inc()
    log.info("visit recorded", extra={"case_id": case_id, "cycle": row.cycle, "reopened": reopened})
    return VisitOutcome(case_id, row.cycle, reopened, str(status))
