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


def test_a_merged_requests_own_routing_read_after_it_took_over_the_closure_never_moves_it_back():
    from datetime import UTC, datetime

    from caseflow_common.contracts import dispatch as d
    from intake.domain.projection import late_routing

    at = datetime(2026, 11, 20, tzinfo=UTC)
    routed = d.CaseDispatched(unit="GZ-TH-HJ", at=at, cycle=1, category="x", region_code="440106001", received_at=at)
    assert late_routing(routed, "closed", 1) and late_routing(routed, "replied", 1)
    assert not late_routing(routed, "merged", 1)  # still waiting: the merge rule keeps it
    assert not late_routing(routed.model_copy(update={"cycle": 2}), "closed", 1)  # a new cycle is routed anew
    assert not late_routing(d.CaseClosed(unit="GZ-TH-HJ", at=at, cycle=1), "replied", 1)
