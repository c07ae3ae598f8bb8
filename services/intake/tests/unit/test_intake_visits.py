from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from caseflow_common.contracts.intake import Satisfaction
from caseflow_common.contracts.status import CaseStatus
from intake.domain.visits import (
    PriorAttempt,
    VisitIn,
    next_attempt,
    reopens,
    visit_refusal,
    visited_before_closure,
)


def test_a_visit_may_be_recorded_only_on_a_closed_case() -> None:
    assert visit_refusal("closed") is None
    for status in CaseStatus:
        if status is not CaseStatus.CLOSED:
            refusal = visit_refusal(status)
            assert refusal is not None and str(status) in refusal


@pytest.mark.parametrize(
    ("satisfaction", "reopened"),
    [("satisfied", False), ("basically_satisfied", False), ("dissatisfied", True), (None, False)],
)
def test_only_a_dissatisfied_evaluation_reopens_the_case(satisfaction: Any, reopened: bool) -> None:
    assert reopens(VisitIn(contacted=True, satisfaction=satisfaction)) is reopened


def test_an_unknown_satisfaction_is_refused() -> None:
    with pytest.raises(ValueError):
        VisitIn.model_validate({"contacted": True, "satisfaction": "meh"})
    assert {s.value for s in Satisfaction} == {"satisfied", "basically_satisfied", "dissatisfied"}


def test_visits_are_attempted_again_until_one_reaches_the_requester() -> None:
    assert next_attempt([]) == 1
    assert next_attempt([PriorAttempt(contacted=False)]) == 2
    assert next_attempt([PriorAttempt(contacted=False), PriorAttempt(contacted=False)]) == 3
    assert next_attempt([PriorAttempt(contacted=False), PriorAttempt(contacted=True)]) is None


def test_a_stated_visit_time_may_not_precede_the_closure() -> None:
    closed = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    assert visited_before_closure(closed, closed) is None
    assert visited_before_closure(closed + timedelta(hours=1), closed) is None
    assert visited_before_closure(closed, None) is None
    refusal = visited_before_closure(closed - timedelta(seconds=1), closed)
    assert refusal is not None and "precede the closure" in refusal


def test_a_visit_body_refuses_a_time_without_offset_or_off_the_calendar() -> None:
    for value in ("2026-11-20T10:00:00", "0001-01-01T00:00:00+08:00"):
        with pytest.raises(ValueError):
            VisitIn.model_validate({"contacted": True, "visited_at": value})
    assert VisitIn.model_validate({"contacted": False}).visited_at is None
