from typing import Any

import pytest

from caseflow_common.contracts.intake import Satisfaction
from caseflow_common.contracts.status import CaseStatus
from intake.domain.visits import VisitIn, reopens, visit_refusal


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
