"""Which event puts a case on which step of the loop."""

from __future__ import annotations

from audit.domain.steps import (
    DEFAULT_STEP_MAP,
    LOOP_ORDER,
    LoopStep,
    english,
    parse_step,
    step_for,
    steps_of,
)


def test_the_loop_runs_in_the_order_of_the_regulation() -> None:
    assert [s.value for s in LOOP_ORDER] == ["受理", "派单", "办理", "答复", "督办", "办结", "回访", "评价"]
    assert [english(s) for s in LOOP_ORDER] == [
        "accept",
        "dispatch",
        "handle",
        "reply",
        "supervise",
        "close",
        "visit",
        "evaluate",
    ]


def test_events_map_to_their_steps() -> None:
    assert step_for("CaseMerged") is LoopStep.ACCEPT
    assert step_for("CaseReturned") is LoopStep.DISPATCH
    assert step_for("CaseSuspended") is LoopStep.HANDLE
    assert step_for("SlaWarningIssued") is LoopStep.SUPERVISE
    assert step_for("CaseReopened") is None
    assert step_for("SomethingNew") is None


def test_a_rated_visit_yields_visit_and_evaluation_but_an_unreachable_requester_neither() -> None:
    assert steps_of("VisitRecorded", {"satisfaction": "dissatisfied"}) == (LoopStep.VISIT, LoopStep.EVALUATE)
    assert steps_of("VisitRecorded", {"contacted": True, "satisfaction": None}) == (LoopStep.VISIT,)
    assert steps_of("VisitRecorded", {"contacted": False, "satisfaction": None}) == ()
    assert steps_of("VisitRecorded", {"contacted": False, "satisfaction": "satisfied"}) == ()
    assert steps_of("ClocksUpdated", {}) == ()


def test_a_city_can_override_the_mapping() -> None:
    mapping = {**DEFAULT_STEP_MAP, "SlaWarningIssued": None}
    assert step_for("SlaWarningIssued", mapping) is None


def test_steps_parse_from_chinese_or_english() -> None:
    assert parse_step("回访") is LoopStep.VISIT
    assert parse_step("Evaluate") is LoopStep.EVALUATE
    assert parse_step("nope") is None
