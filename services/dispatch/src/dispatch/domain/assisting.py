"""What assisting units (协办) do on a case led by another unit: progress notes and a part reply to the lead, each
while the case is being handled (GZ Art. 10; SZ Art. 24: the lead and the assisting units act together)."""

from __future__ import annotations

from datetime import datetime

from caseflow_common.contracts.status import CaseStatus
from dispatch.domain import case_events as ev
from dispatch.domain.errors import IllegalTransition, ValidationError
from dispatch.domain.lifecycle import WorkCase

# States in which assisting units may still add their notes and part replies.
ASSISTING_STATES = frozenset({CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.SUSPENDED})


def _require_handled(case: WorkCase, unit: str, text: str, what: str) -> None:
    if unit not in case.assisting_units:
        raise ValidationError(f"{unit} does not assist case {case.case_id}")
    if case.status not in ASSISTING_STATES:
        raise IllegalTransition(f"{what} only while the case is handled (the case is {case.status.value})")
    if not text.strip():
        raise ValidationError(f"{what} cannot be empty")


def assisting_note(case: WorkCase, unit: str, note: str, *, at: datetime) -> ev.CaseProgressNoted:
    """An assisting unit's progress note; the case's state does not change."""
    _require_handled(case, unit, note, "a progress note")
    return ev.CaseProgressNoted(case_id=case.case_id, at=at, cycle=case.cycle, unit=unit, note=note, role="assisting")


def part_reply(case: WorkCase, unit: str, content: str, *, at: datetime, replied_before: bool) -> ev.CasePartReplied:
    """An assisting unit answers its part to the lead, once per cycle; the lead then replies for the case."""
    _require_handled(case, unit, content, "a part reply")
    if replied_before:
        raise IllegalTransition(f"{unit} gave its part reply for this cycle already")
    return ev.CasePartReplied(
        case_id=case.case_id, at=at, cycle=case.cycle, unit=unit, lead_unit=case.unit, content=content
    )
