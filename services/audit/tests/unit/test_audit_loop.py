"""Closed-loop completeness of a case (GZ Art. 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from audit.domain.loop import LoopEvent, LoopFold, LoopPolicy, fold_key, loop_status
from audit.domain.steps import LoopStep

T0 = datetime(2024, 5, 6, 1, 0, tzinfo=UTC)


def ev(event_type: str, hours: float, **payload: object) -> LoopEvent:
    return LoopEvent(event_type, T0 + timedelta(hours=hours), payload or None)


HANDLED_AND_CLOSED = [
    ev("CaseReceived", 0),
    ev("CaseDispatched", 0.1, cycle=1),
    ev("CaseAccepted", 1),
    ev("CaseReplied", 20),
    ev("CaseClosed", 24),
]


def test_a_case_that_went_round_the_whole_loop_is_complete() -> None:
    events = [*HANDLED_AND_CLOSED, ev("VisitRecorded", 30, satisfaction="satisfied", cycle=1)]
    status = loop_status(events, now=T0 + timedelta(days=10))
    assert status.complete and status.missing == () and not status.overdue


def test_supervision_is_not_needed_for_a_complete_loop_but_shows_when_it_happened() -> None:
    events = [*HANDLED_AND_CLOSED, ev("SupervisionActionIssued", 22), ev("VisitRecorded", 30, satisfaction="satisfied")]
    status = loop_status(events, now=T0 + timedelta(days=1))
    assert status.complete and LoopStep.SUPERVISE in status.reached


def test_a_closed_case_never_visited_misses_visit_and_evaluation_and_is_overdue_after_the_grace() -> None:
    status = loop_status(HANDLED_AND_CLOSED, now=T0 + timedelta(hours=24) + timedelta(days=3))
    assert status.missing == (LoopStep.VISIT, LoopStep.EVALUATE)
    assert [s.value for s in status.missing] == ["回访", "评价"]
    assert not status.complete and status.overdue


def test_a_closed_case_still_within_the_grace_reports_the_visit_missing_but_not_overdue() -> None:
    status = loop_status(HANDLED_AND_CLOSED, now=T0 + timedelta(hours=24 + 71))
    assert status.missing == (LoopStep.VISIT, LoopStep.EVALUATE) and not status.overdue


def test_the_grace_period_is_the_citys_choice() -> None:
    status = loop_status(
        HANDLED_AND_CLOSED, now=T0 + timedelta(hours=30), policy=LoopPolicy(visit_grace=timedelta(hours=4))
    )
    assert status.overdue


def test_a_visit_that_could_not_reach_the_requester_leaves_visit_and_evaluation_missing() -> None:
    unreached = [*HANDLED_AND_CLOSED, ev("VisitRecorded", 30, contacted=False, satisfaction=None)]
    assert loop_status(unreached, now=T0 + timedelta(days=9)).missing == (LoopStep.VISIT, LoopStep.EVALUATE)
    again = [*unreached, ev("VisitRecorded", 40, contacted=True, satisfaction="satisfied")]
    assert loop_status(again, now=T0 + timedelta(days=9)).complete


def test_an_open_case_names_every_step_it_has_not_reached_in_loop_order() -> None:
    status = loop_status([ev("CaseReceived", 0), ev("CaseDispatched", 1)], now=T0 + timedelta(days=30))
    assert [s.value for s in status.missing] == ["办理", "答复", "办结", "回访", "评价"]
    assert not status.overdue  # lateness of handling is the clocks' business, not the record's


def test_a_reopened_case_restarts_its_loop_from_handling() -> None:
    first_cycle = [*HANDLED_AND_CLOSED, ev("VisitRecorded", 30, satisfaction="dissatisfied", cycle=1)]
    reopened = [*first_cycle, ev("CaseReopened", 31, reason="dissatisfied", cycle=2)]
    status = loop_status(reopened, now=T0 + timedelta(days=2))
    assert status.cycle == 2
    assert [s.value for s in status.missing] == ["办理", "答复", "办结", "回访", "评价"]

    second = [*reopened, ev("CaseAccepted", 32), ev("CaseReplied", 40), ev("CaseClosed", 41)]
    late_first_visit = ev("VisitRecorded", 42, satisfaction="satisfied", cycle=1)
    status = loop_status([*second, late_first_visit], now=T0 + timedelta(days=3))
    assert status.missing == (LoopStep.VISIT, LoopStep.EVALUATE)  # a visit of cycle 1 does not close cycle 2

    done = loop_status([*second, ev("VisitRecorded", 50, satisfaction="basically_satisfied", cycle=2)], now=T0)
    assert done.complete and done.cycle == 2


def merged_at(hours: float) -> list[LoopEvent]:
    return [ev("CaseReceived", hours), ev("CaseMerged", hours, into_case_id="main")]


REPLY_AND_CLOSE = (LoopStep.REPLY, LoopStep.CLOSE)
VISIT_AND_EVALUATION = (LoopStep.VISIT, LoopStep.EVALUATE)


def test_a_merged_request_takes_over_the_answer_its_main_case_gives_after_it_joined_and_needs_its_own_visit() -> None:
    handling = loop_status(HANDLED_AND_CLOSED[:3], now=T0)
    waiting = loop_status(merged_at(2), now=T0, main=handling)
    assert waiting.merged and waiting.missing == (*REPLY_AND_CLOSE, *VISIT_AND_EVALUATION)

    main = loop_status([*HANDLED_AND_CLOSED, ev("VisitRecorded", 30, satisfaction="satisfied")], now=T0)
    answered = loop_status(merged_at(2), now=T0 + timedelta(hours=24, days=3), main=main)
    assert answered.missing == VISIT_AND_EVALUATION and answered.overdue  # from the 办结 passed on to it
    visited = [*merged_at(2), ev("VisitRecorded", 40, satisfaction="satisfied")]
    assert loop_status(visited, now=T0, main=main).complete


def test_a_request_that_joined_after_its_main_case_replied_gets_the_reply_with_the_closure() -> None:
    replied = loop_status(HANDLED_AND_CLOSED[:4], now=T0)
    assert loop_status(merged_at(22), now=T0, main=replied).missing[0] is LoopStep.REPLY
    closed = loop_status(HANDLED_AND_CLOSED, now=T0)
    assert loop_status(merged_at(22), now=T0, main=closed).missing == VISIT_AND_EVALUATION


def test_a_request_that_joined_a_reopened_case_waits_for_that_cases_next_answer() -> None:
    first = [*HANDLED_AND_CLOSED, ev("VisitRecorded", 30, satisfaction="dissatisfied")]
    reopened = [*first, ev("CaseReopened", 31, reason="dissatisfied", cycle=2)]
    waiting = loop_status(merged_at(32), now=T0, main=loop_status(reopened, now=T0))
    assert waiting.missing == (*REPLY_AND_CLOSE, *VISIT_AND_EVALUATION)  # the first cycle's answer was not for it
    second = [*reopened, ev("CaseAccepted", 33, cycle=2), ev("CaseReplied", 40, cycle=2), ev("CaseClosed", 41)]
    assert loop_status(merged_at(32), now=T0, main=loop_status(second, now=T0)).missing == VISIT_AND_EVALUATION


def test_a_merged_requests_own_reply_and_close_count_like_those_passed_on() -> None:
    main = loop_status(HANDLED_AND_CLOSED, now=T0)
    own = [*merged_at(30), ev("CaseReplied", 31, unit="U1"), ev("CaseClosed", 32, unit="U1")]
    assert loop_status(merged_at(30), now=T0, main=main).missing == (*REPLY_AND_CLOSE, *VISIT_AND_EVALUATION)
    assert loop_status(own, now=T0, main=main).missing == VISIT_AND_EVALUATION


def test_a_merged_request_keeps_its_finished_loop_when_its_main_case_is_reopened() -> None:
    first = [*HANDLED_AND_CLOSED, ev("VisitRecorded", 30, satisfaction="dissatisfied")]
    main = loop_status([*first, ev("CaseReopened", 31, reason="dissatisfied", cycle=2)], now=T0)
    assert LoopStep.HANDLE not in main.reached
    follower = [*merged_at(2), ev("VisitRecorded", 40, satisfaction="satisfied")]
    assert loop_status(follower, now=T0, main=main).complete


def test_a_merged_request_without_its_main_case_shows_what_it_lacks_itself() -> None:
    status = loop_status([ev("CaseMerged", 2)], now=T0)
    assert status.missing[0] is LoopStep.DISPATCH


def test_a_merged_request_reopened_by_its_own_requester_is_handled_on_its_own_from_then_on() -> None:
    main = loop_status(HANDLED_AND_CLOSED, now=T0)
    first = [*merged_at(2), ev("VisitRecorded", 30, satisfaction="dissatisfied")]
    reopened = [*first, ev("CaseReopened", 31, reason="dissatisfied", cycle=2)]
    status = loop_status(reopened, now=T0, main=main)
    assert status.cycle == 2  # nothing of the main case's stands in any more: it waits for its own dispatch
    assert status.missing == (LoopStep.DISPATCH, LoopStep.HANDLE, *REPLY_AND_CLOSE, *VISIT_AND_EVALUATION)
    own = [
        *reopened,
        ev("CaseDispatched", 31.5, cycle=2),
        ev("CaseAccepted", 32, cycle=2),
        ev("CaseReplied", 33, cycle=2),
        ev("CaseClosed", 34, cycle=2),
    ]
    assert loop_status(own, now=T0, main=main).missing == VISIT_AND_EVALUATION


def test_the_next_cycles_handling_recorded_before_the_reopen_that_began_it_still_counts() -> None:
    # The reopen travels on intake's topic, the next handling on dispatch's: audit can record the handling first.
    first_cycle = [*HANDLED_AND_CLOSED, ev("VisitRecorded", 30, satisfaction="dissatisfied", cycle=1)]
    handling = [ev("CaseAccepted", 32, cycle=2), ev("CaseReplied", 40, cycle=2), ev("CaseClosed", 41, cycle=2)]
    reopen = ev("CaseReopened", 31, reason="dissatisfied", cycle=2)
    visit = ev("VisitRecorded", 50, satisfaction="satisfied", cycle=2)
    for order in ([*handling, reopen, visit], [handling[0], reopen, *handling[1:], visit], [*handling, visit, reopen]):
        status = loop_status([*first_cycle, *order], now=T0 + timedelta(days=3))
        assert status.complete and status.cycle == 2, order
    before_its_visit = loop_status([*first_cycle, *handling, reopen], now=T0 + timedelta(days=3))
    assert before_its_visit.missing == VISIT_AND_EVALUATION and before_its_visit.cycle == 2


def test_a_merged_requests_own_second_cycle_recorded_before_its_reopen_counts_on_its_own() -> None:
    main = loop_status(HANDLED_AND_CLOSED, now=T0)
    first = [*merged_at(2), ev("VisitRecorded", 30, satisfaction="dissatisfied")]
    own = [
        ev("CaseDispatched", 31.5, cycle=2),
        ev("CaseAccepted", 32, cycle=2),
        ev("CaseReplied", 33, cycle=2),
        ev("CaseClosed", 34, cycle=2),
    ]
    status = loop_status([*first, *own, ev("CaseReopened", 31, reason="dissatisfied", cycle=2)], now=T0, main=main)
    assert status.cycle == 2 and status.missing == VISIT_AND_EVALUATION
    visited = [
        *first,
        *own,
        ev("CaseReopened", 31, cycle=2),
        ev("VisitRecorded", 40, satisfaction="satisfied", cycle=2),
    ]
    assert loop_status(visited, now=T0, main=main).complete


def test_a_fold_kept_at_any_entry_and_continued_says_what_folding_the_whole_record_says() -> None:
    """The loop row keeps the fold as JSON (LoopFold.to_json): cut anywhere, stored, read back and continued, it
    gives the same status as the whole record folded at once, and names the same main case."""
    first = [*HANDLED_AND_CLOSED, ev("VisitRecorded", 30, contacted=False), ev("VisitRecorded", 31, satisfaction="no")]
    records = {
        "reopened, a later cycle recorded before its reopen": [
            *first,
            ev("CaseDispatched", 32, cycle=2),
            ev("CaseReopened", 33, reason="dissatisfied", cycle=2),
            ev("CaseReplied", 34, cycle=1),  # late, of the first cycle
            ev("CaseClosed", 35, cycle=2),
        ],
        "merged, reopened on its own": [
            *merged_at(2),
            ev("CaseMerged", 3, into_case_id="another"),  # the first merge names the main case
            ev("VisitRecorded", 30, satisfaction="dissatisfied"),
            ev("CaseReopened", 31, reason="dissatisfied"),
            ev("CaseReplied", 40, unit="U1"),
        ],
        "merged, waiting": [*merged_at(2), ev("VisitRecorded", 40, contacted=True, satisfaction="satisfied")],
    }
    main = loop_status([*HANDLED_AND_CLOSED, ev("VisitRecorded", 30, satisfaction="satisfied")], now=T0)
    now = T0 + timedelta(days=5)
    for name, events in records.items():
        whole = LoopFold()
        for e in events:
            whole.add(e)
        assert whole.status(now, main=main) == loop_status(events, now, main=main), name
        for cut in range(len(events) + 1):
            head = LoopFold()
            for e in events[:cut]:
                head.add(e)
            kept = LoopFold.from_json(orjson.loads(orjson.dumps(head.to_json())))
            for e in events[cut:]:
                kept.add(e)
            assert kept.status(now, main=main) == whole.status(now, main=main), (name, cut)
            assert kept.merge_into("self") == whole.merge_into("self"), (name, cut)
    assert whole.merge_into("self") == "main"


def test_a_fold_depends_on_the_policy_it_was_folded_under() -> None:
    assert fold_key(LoopPolicy()) == fold_key(LoopPolicy())
    assert fold_key(LoopPolicy(reopen_event="CaseRevived")) != fold_key(LoopPolicy())
    assert fold_key(LoopPolicy(step_map={"CaseReceived": LoopStep.ACCEPT})) != fold_key(LoopPolicy())
