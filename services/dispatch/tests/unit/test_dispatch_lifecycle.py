"""The department-side state machine of a case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from dispatch.domain import CaseStatus, IllegalTransition, NextStep, NotYourCase, ValidationError, WorkCase
from dispatch.domain import case_events as ev
from dispatch.domain.lifecycle import TRANSITIONS

AT = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
UNIT = "GZ-TH-CG"


def dispatched(unit: str = UNIT) -> WorkCase:
    case = WorkCase("c-1")
    case.dispatch(unit, at=AT, rule_id="r-road", routing_version=1)
    return case


def test_a_case_runs_the_full_path_from_dispatch_to_close():
    case = dispatched()
    case.accept(UNIT, at=AT)
    case.note_progress(UNIT, "现场核查，已责令整改", at=AT)
    case.reply(UNIT, "已处理完毕", resolved=True, at=AT)
    case.close(UNIT, at=AT)
    assert case.status is CaseStatus.CLOSED and case.replied and case.resolved
    assert [type(e) for e in case.pull_events()] == [
        ev.CaseDispatched,
        ev.CaseAccepted,
        ev.CaseProgressNoted,
        ev.CaseReplied,
        ev.CaseClosed,
    ]
    assert case.events == []


def test_events_carry_the_case_the_unit_the_time_and_the_cycle():
    case = dispatched()
    event = case.accept(UNIT, at=AT)
    assert (event.case_id, event.unit, event.at, event.cycle) == ("c-1", UNIT, AT, 1)


def test_a_case_cannot_be_closed_before_a_reply():
    case = dispatched()
    case.accept(UNIT, at=AT)
    with pytest.raises(IllegalTransition, match="closed only after a reply"):
        case.close(UNIT, at=AT)
    assert case.status is CaseStatus.ACCEPTED


def test_a_case_returned_twice_goes_to_coordination():
    case = dispatched()
    first = case.return_(UNIT, "不属于本单位职责", at=AT)
    assert first == type(first)(NextStep.REDISPATCH, 1, None)
    case.dispatch("GZ-TH-ZJ", at=AT)
    second = case.return_("GZ-TH-ZJ", "应由城管处理", at=AT)
    assert (second.next_step, second.returns) == (NextStep.COORDINATION, 2)
    with pytest.raises(IllegalTransition, match="goes to coordination"):
        case.dispatch(UNIT, at=AT)
    case.send_to_coordination("GZ-TH-PA", at=AT, level="district", reason="returns")
    case.coordinate("GZ-TH-PA", lead="GZ-TH-CG", assisting=["GZ-TH-ZJ"], instructions="城管主办", at=AT)
    assert (case.status, case.unit, case.role, case.assisting_units) == (
        CaseStatus.DISPATCHED,
        "GZ-TH-CG",
        "lead",
        ("GZ-TH-ZJ",),
    )


def test_the_return_limit_is_configurable():
    case = dispatched()
    assert case.return_(UNIT, "非本单位职责", at=AT, max_returns=1).next_step is NextStep.COORDINATION


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_return_without_a_reason_is_refused(reason):
    case = dispatched()
    with pytest.raises(ValidationError):
        case.return_(UNIT, reason, at=AT)
    assert case.returns == 0 and case.status is CaseStatus.DISPATCHED


def test_only_the_handling_unit_may_act_on_a_case():
    case = dispatched()
    with pytest.raises(NotYourCase):
        case.accept("GZ-TH-GA", at=AT)


def test_a_transferred_case_belongs_to_the_receiving_unit():
    case = dispatched()
    case.accept(UNIT, at=AT)
    event = case.transfer(UNIT, "GZ-TH-GA", "涉嫌违法犯罪，移送公安", at=AT)
    assert (event.unit, event.to_unit) == (UNIT, "GZ-TH-GA")
    assert (case.status, case.unit, case.transfers) == (CaseStatus.DISPATCHED, "GZ-TH-GA", 1)
    with pytest.raises(NotYourCase):
        case.accept(UNIT, at=AT)


def test_a_returned_case_never_goes_back_to_a_unit_that_returned_it_and_carries_its_reason():
    case = dispatched()
    case.return_(UNIT, "不属于本单位职责", at=AT)
    with pytest.raises(IllegalTransition, match="never goes back"):
        case.dispatch(UNIT, at=AT)
    event = case.dispatch("GZ-TH-ZJ", at=AT)
    assert (event.from_unit, event.from_reason) == (UNIT, "不属于本单位职责")
    with pytest.raises(ValidationError, match="returned this case already"):
        case.return_("GZ-TH-ZJ", "也不属于", at=AT, suggested_unit=UNIT)
    case.return_("GZ-TH-ZJ", "也不属于", at=AT, max_returns=3)
    assert case.returned_by == (UNIT, "GZ-TH-ZJ")


def test_a_referred_case_goes_to_coordination_with_the_departments_reason():
    case = dispatched()
    case.accept(UNIT, at=AT)
    event = case.refer(UNIT, "GZ-TH-PA", "需住建、规划共同处置", at=AT, level="district")
    assert (event.cause, event.reason, event.from_unit, event.from_reason) == (
        "referred",
        "multi_department",
        UNIT,
        "需住建、规划共同处置",
    )
    assert (case.status, case.unit) == (CaseStatus.COORDINATING, "GZ-TH-PA")
    passed = case.escalate("GZ-TH-PA", "GZ-PA", "跨区协调", at=AT, level="city", routing_reason="multi_department")
    assert (passed.unit, passed.cause, passed.from_unit) == ("GZ-PA", "escalated", "GZ-TH-PA")
    with pytest.raises(NotYourCase):
        case.escalate("GZ-TH-PA", "GZ-PA", "x", at=AT, level="city", routing_reason="returns")


def test_public_security_is_notified_once_and_the_department_keeps_the_case():
    case = dispatched()
    case.accept(UNIT, at=AT)
    event = case.notify_police(UNIT, "GZ-TH-GA", "c-1-GA", "发现涉嫌违法犯罪", at=AT)
    assert (event.police_unit, event.linked_case_id, case.unit, case.status) == (
        "GZ-TH-GA",
        "c-1-GA",
        UNIT,
        CaseStatus.ACCEPTED,
    )
    with pytest.raises(IllegalTransition, match="notified already"):
        case.notify_police(UNIT, "GZ-TH-GA", "c-1-GA", "again", at=AT)


def test_a_suspended_case_must_be_resumed_before_the_reply():
    case = dispatched()
    case.accept(UNIT, at=AT)
    case.note_progress(UNIT, "已联系诉求人", at=AT)
    case.suspend(UNIT, "等待诉求人提供材料", at=AT)
    with pytest.raises(IllegalTransition, match="resumed first"):
        case.reply(UNIT, "答复", resolved=True, at=AT)
    case.resume(UNIT, at=AT)
    assert case.status is CaseStatus.IN_PROGRESS


def test_a_reopened_case_starts_a_fresh_cycle():
    case = dispatched()
    case.return_(UNIT, "非本单位职责", at=AT)
    case.dispatch("GZ-TH-ZJ", at=AT)
    case.accept("GZ-TH-ZJ", at=AT)
    case.reply("GZ-TH-ZJ", "已处理", resolved=False, at=AT)
    case.close("GZ-TH-ZJ", at=AT)
    case.reopen(2, at=AT, reason="不满意")
    assert (case.status, case.cycle, case.returns, case.replied) == (CaseStatus.REOPENED, 2, 0, False)
    assert case.returned_by == () and case.handed_over_by is None
    case.dispatch(UNIT, at=AT)  # a new cycle: the unit that returned the first one may get it again
    with pytest.raises(ValidationError):
        WorkCase("c-2", status=CaseStatus.CLOSED, cycle=2).reopen(2, at=AT)


def test_a_merged_case_refuses_every_action_and_names_the_case_it_joined():
    case = WorkCase("c-1")
    case.merge("c-0", at=AT)
    with pytest.raises(IllegalTransition, match="merged into c-0"):
        case.dispatch(UNIT, at=AT)


def test_only_department_actions_are_published_not_facts_mirrored_from_intake():
    assert ev.CaseAccepted.publish and not ev.CaseReopened.publish and not ev.CaseMerged.publish


ACTIONS: dict[str, Callable[[WorkCase], object]] = {
    "dispatch": lambda c: c.dispatch("GZ-TH-ZJ", at=AT),
    "send_to_coordination": lambda c: c.send_to_coordination("GZ-TH-PA", at=AT, level="district", reason="no_rule"),
    "coordinate": lambda c: c.coordinate(UNIT, lead="GZ-TH-ZJ", at=AT),
    "accept": lambda c: c.accept(UNIT, at=AT),
    "return_": lambda c: c.return_(UNIT, "非本单位职责", at=AT),
    "transfer": lambda c: c.transfer(UNIT, "GZ-TH-GA", "移送", at=AT),
    "refer": lambda c: c.refer(UNIT, "GZ-TH-PA", "涉及多个部门", at=AT, level="district"),
    "escalate": lambda c: c.escalate(UNIT, "GZ-PA", "超出本级协调能力", at=AT, level="city", routing_reason="returns"),
    "notify_police": lambda c: c.notify_police(UNIT, "GZ-TH-GA", "c-1-GA", "发现涉嫌违法犯罪", at=AT),
    "note_progress": lambda c: c.note_progress(UNIT, "进展", at=AT),
    "suspend": lambda c: c.suspend(UNIT, "等待材料", at=AT),
    "resume": lambda c: c.resume(UNIT, at=AT),
    "reply": lambda c: c.reply(UNIT, "答复", resolved=True, at=AT),
    "close": lambda c: c.close(UNIT, at=AT),
    "reopen": lambda c: c.reopen(2, at=AT),
    "merge": lambda c: c.merge("c-0", at=AT),
}
PAIRS = [(action, status) for action in ACTIONS for status in CaseStatus]


def test_the_action_table_covers_every_action():
    assert set(ACTIONS) == set(TRANSITIONS)


@pytest.mark.parametrize(("action", "status"), PAIRS, ids=[f"{a}-from-{s}" for a, s in PAIRS])
def test_each_action_is_allowed_exactly_from_the_states_of_the_transition_table(action, status):
    case = WorkCase("c-1", status=status, unit=UNIT, merged_into="c-0" if status is CaseStatus.MERGED else None)
    if status in TRANSITIONS[action][0]:
        ACTIONS[action](case)
        assert len(case.events) == 1
    else:
        with pytest.raises(IllegalTransition):
            ACTIONS[action](case)
        assert (case.status, case.events) == (status, [])
