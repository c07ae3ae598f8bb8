from datetime import datetime, timedelta

import pytest

from caseflow_common.contracts.escalation import Rung, SupervisionReason
from escalation.domain.calendar import SHANGHAI
from escalation.domain.manual import ManualActionError, ManualDecision, issue_manual

NOW = datetime(2026, 3, 20, 10, tzinfo=SHANGHAI)
YEAR = timedelta(days=366)


def decision(**changes):  # type: ignore[no-untyped-def]
    values = {
        "unit": "U1",
        "case_ids": ("C2", "C1", "C2"),
        "rung": Rung.INTERVIEW,
        "reason": SupervisionReason.HAZARDS_UNRECTIFIED,
        "rectification_deadline": NOW + timedelta(days=10),
        "issued_by": "sup-1",
        "note": "  ",
    }
    return ManualDecision(**{**values, **changes})


def test_a_decision_issues_one_manual_action_about_its_cases_with_a_stable_id():
    action = issue_manual(decision(), cycle=2, now=NOW, policy_version="3", longest=YEAR)
    assert (action.rung, action.unit, action.case_ids, action.case_id) == (Rung.INTERVIEW, "U1", ("C2", "C1"), "C2")
    assert action.manual and action.clock_kind is None and action.cycle == 2 and action.note is None
    again = issue_manual(decision(case_ids=("C1", "C2"), note="x"), cycle=2, now=NOW, policy_version="3", longest=YEAR)
    assert again.id == action.id, "the same decision, however its cases are ordered, is one action"
    other = issue_manual(decision(rung=Rung.LISTED), cycle=2, now=NOW, policy_version="3", longest=YEAR)
    assert other.id != action.id


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"case_ids": ()}, "at least one case"),
        ({"rectification_deadline": NOW}, "future"),
        ({"rectification_deadline": NOW + timedelta(days=400)}, "at most 366 days"),
        ({"reason": SupervisionReason.OTHER}, "(6)"),
        ({"rung": Rung.OTHER}, "not one of the ladder's"),
    ],
)
def test_a_decision_that_cannot_stand_is_refused_with_the_reason(changes, says):  # type: ignore[no-untyped-def]
    with pytest.raises(ManualActionError) as err:
        issue_manual(decision(**changes), cycle=1, now=NOW, policy_version="1", longest=YEAR)
    assert any(says in p for p in err.value.problems)
