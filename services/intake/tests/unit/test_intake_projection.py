from datetime import UTC, datetime

from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts.status import CaseStatus
from intake.domain.projection import taken_over

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
REPLIED = d.CaseReplied(unit="U1", at=AT, content="已处理", resolved=True)
CLOSED = d.CaseClosed(unit="U1", at=AT)


def test_a_merged_request_takes_over_the_reply_then_the_closure() -> None:
    assert taken_over(REPLIED, "merged") == ["CaseReplied"]
    assert taken_over(CLOSED, "replied") == ["CaseClosed"]


def test_a_request_merged_after_the_reply_takes_it_over_with_the_closure() -> None:
    assert taken_over(CLOSED, "merged") == ["CaseReplied", "CaseClosed"]


def test_a_merged_request_that_closed_or_reopened_no_longer_follows() -> None:
    for status in CaseStatus:
        if status not in (CaseStatus.MERGED, CaseStatus.REPLIED):
            assert taken_over(CLOSED, status) == [] and taken_over(REPLIED, status) == []
    assert taken_over(d.CaseAccepted(unit="U1", at=AT), "merged") == []
