from datetime import datetime

from escalation.domain.calendar import SHANGHAI, TimeUnit, WorkCalendar
from escalation.domain.clock import ClockState
from escalation.domain.policy import ClockKind, ClockSpec, PolicySet, SlaPolicy, default_policy_set
from escalation.domain.replay import CaseFact, FactKind, current_clocks, replay

CAL = WorkCalendar()
F = FactKind


def sh(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


RECEIVED = CaseFact(F.RECEIVED, sh(2026, 3, 2, 9, 30), channel="grid", category="hazard")
DISPATCHED = CaseFact(F.DISPATCHED, sh(2026, 3, 2, 10), unit="U1")


def by_kind(clocks, cycle=1):
    return {c.kind: c for c in clocks if c.cycle == cycle}


def test_a_dispatched_grid_case_has_sign_for_and_handling_clocks_bound_to_the_unit():
    clocks = by_kind(replay("C1", [RECEIVED, DISPATCHED], CAL, default_policy_set()))
    assert set(clocks) == {ClockKind.SIGN_FOR, ClockKind.HANDLING}
    assert clocks[ClockKind.HANDLING].unit == "U1"
    assert clocks[ClockKind.HANDLING].deadline == sh(2026, 3, 16, 18)
    assert clocks[ClockKind.SIGN_FOR].deadline == sh(2026, 3, 3, 18)
    assert clocks[ClockKind.HANDLING].policy_version == "default-1"


def test_accepting_meets_the_sign_for_clock():
    clocks = by_kind(
        replay("C1", [RECEIVED, DISPATCHED, CaseFact(F.ACCEPTED, sh(2026, 3, 2, 15))], CAL, default_policy_set())
    )
    assert clocks[ClockKind.SIGN_FOR].state_at(sh(2026, 3, 5)) is ClockState.MET
    assert clocks[ClockKind.HANDLING].state_at(sh(2026, 3, 5)) is ClockState.RUNNING


def test_a_suspended_case_pauses_its_clock_and_resuming_moves_the_deadline():
    facts = [RECEIVED, DISPATCHED, CaseFact(F.SUSPENDED, sh(2026, 3, 4, 10))]
    paused = by_kind(replay("C1", facts, CAL, default_policy_set()))[ClockKind.HANDLING]
    assert paused.state_at(sh(2026, 3, 30)) is ClockState.PAUSED
    resumed = by_kind(replay("C1", [*facts, CaseFact(F.RESUMED, sh(2026, 3, 6, 10))], CAL, default_policy_set()))[
        ClockKind.HANDLING
    ]
    assert resumed.deadline == sh(2026, 3, 18, 18)


def test_reopening_restarts_a_new_cycle_from_zero():
    reopened_at = sh(2026, 3, 20, 11)
    facts = [
        RECEIVED,
        DISPATCHED,
        CaseFact(F.ACCEPTED, sh(2026, 3, 2, 11)),
        CaseFact(F.CLOSED, sh(2026, 3, 12)),
        CaseFact(F.REOPENED, reopened_at),
    ]
    clocks = replay("C1", facts, CAL, default_policy_set())
    assert all(c.state_at(reopened_at) is ClockState.MET for c in clocks if c.cycle == 1)
    handling = by_kind(current_clocks(clocks), cycle=2)[ClockKind.HANDLING]
    assert handling.started_at == reopened_at
    assert handling.deadline == CAL.add_working_days(reopened_at, 10).at
    assert handling.state_at(reopened_at) is ClockState.RUNNING


def test_redispatch_ends_the_old_units_sign_for_and_starts_one_for_the_new_unit():
    facts = [RECEIVED, DISPATCHED, CaseFact(F.DISPATCHED, sh(2026, 3, 3, 10), unit="U2")]
    sign_fors = [c for c in replay("C1", facts, CAL, default_policy_set()) if c.kind is ClockKind.SIGN_FOR]
    assert [(c.unit, c.met_at is not None) for c in sign_fors] == [("U1", True), ("U2", False)]


def test_a_policy_change_recomputes_running_clocks():
    stricter = PolicySet("v2", (SlaPolicy("grid", "grid", {ClockKind.HANDLING: ClockSpec(5, TimeUnit.WORKING_DAYS)}),))
    handling = by_kind(replay("C1", [RECEIVED, DISPATCHED], CAL, stricter))[ClockKind.HANDLING]
    assert handling.deadline == sh(2026, 3, 9, 18)
    assert handling.policy_version == "v2"


def test_replay_does_not_depend_on_the_order_facts_arrive_in():
    facts = [RECEIVED, DISPATCHED, CaseFact(F.SUSPENDED, sh(2026, 3, 4)), CaseFact(F.RESUMED, sh(2026, 3, 5))]
    assert replay("C1", facts, CAL, default_policy_set()) == replay("C1", facts[::-1], CAL, default_policy_set())
