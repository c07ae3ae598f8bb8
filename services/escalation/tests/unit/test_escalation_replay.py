from datetime import datetime, timedelta, timezone

from escalation.domain.calendar import SHANGHAI, TimeUnit, WorkCalendar
from escalation.domain.clock import ClockRole, ClockState
from escalation.domain.policy import ClockKind, ClockSpec, PolicySet, SlaPolicy, default_policy_set
from escalation.domain.replay import (
    CaseFact,
    FactKind,
    bounded,
    bounded_time,
    current_clocks,
    leg_of,
    parties_of,
    replay,
)
from escalation.domain.scope import visible_clocks

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


def test_a_report_backdated_by_weeks_starts_no_clock_before_it_reaches_a_unit():
    weeks_ago = CaseFact(F.RECEIVED, sh(2026, 1, 5), channel="hotline", category="noise")
    dispatched = CaseFact(F.DISPATCHED, sh(2026, 3, 2, 10), unit="U1")
    clocks = replay("C1", [weeks_ago, dispatched], CAL, default_policy_set())
    assert {c.started_at for c in clocks} == {sh(2026, 3, 2, 10)}
    assert all(c.state_at(sh(2026, 3, 2, 11)) is ClockState.RUNNING for c in clocks)


def test_a_far_future_fact_time_is_taken_as_now():
    now = sh(2026, 3, 2, 10)
    far = CaseFact(F.ACCEPTED, datetime(9999, 12, 31, 23, 59, tzinfo=SHANGHAI), unit="U1")
    assert bounded(far, now, timedelta(minutes=5)).at == now
    near = CaseFact(F.ACCEPTED, now + timedelta(minutes=4), unit="U1")
    assert bounded(near, now, timedelta(minutes=5)) is near
    # times no UTC clock can show (past datetime's range once converted) are taken as now too
    edge = timezone(timedelta(hours=-12))
    assert bounded_time(datetime(9999, 12, 31, 23, 59, tzinfo=edge), now, timedelta(0)) == now
    assert bounded_time(datetime(1, 1, 1, tzinfo=SHANGHAI), now, timedelta(0)) == now


def test_a_transfer_after_sign_for_gives_the_receiver_its_own_clocks_on_a_leg_of_its_own():
    moved = sh(2026, 3, 3, 10)
    facts = [
        RECEIVED,
        DISPATCHED,
        CaseFact(F.ACCEPTED, sh(2026, 3, 2, 11), unit="U1"),
        CaseFact(F.DISPATCHED, moved, unit="U2"),
        CaseFact(F.ACCEPTED, sh(2026, 3, 3, 11), unit="U1"),  # the giver's late act concerns nothing any more
    ]
    clocks = replay("C1", facts, CAL, default_policy_set())
    receiver = {c.kind: c for c in clocks if c.unit == "U2"}
    assert set(receiver) == {ClockKind.SIGN_FOR, ClockKind.HANDLING}
    assert all(c.started_at == moved and c.met_at is None and c.leg == leg_of("U2", moved) for c in receiver.values())
    assert all(c.met_at is not None and c.leg == "" for c in clocks if c.unit == "U1")
    assert parties_of("C1", facts).holder == "U2"


def test_assisting_units_owe_their_own_part_and_its_reply_meets_it():
    named = sh(2026, 3, 2, 11)
    facts = [
        RECEIVED,
        CaseFact(F.COORDINATED, named, unit="ZZ"),
        CaseFact(F.DISPATCHED, named, unit="LEAD"),
        CaseFact(F.ASSISTING, named, unit="HELP"),
        CaseFact(F.REPLIED, sh(2026, 3, 4), unit="HELP"),
    ]
    clocks = replay("C1", facts, CAL, default_policy_set())
    helper = [c for c in clocks if c.unit == "HELP"]
    assert {(c.kind, c.role) for c in helper} == {
        (ClockKind.SIGN_FOR, ClockRole.ASSISTING),
        (ClockKind.HANDLING, ClockRole.ASSISTING),
    }
    assert all(c.met_at == sh(2026, 3, 4) for c in helper)
    assert all(c.met_at is None for c in clocks if c.unit == "LEAD")
    parties = parties_of("C1", facts)
    assert (parties.holder, parties.assisting, parties.coordinators) == ("LEAD", {"HELP"}, {"ZZ"})
    lead_view = visible_clocks(clocks, parties, "LEAD")
    helper_view = visible_clocks(clocks, parties, "HELP")
    assert lead_view is not None and {c.unit for c in lead_view} == {"LEAD", "HELP"}
    assert helper_view is not None and {c.unit for c in helper_view} == {"HELP"}
    assert visible_clocks(clocks, parties, "STRANGER") is None


def test_a_new_coordination_names_its_assisting_units_anew():
    first, second = sh(2026, 3, 2, 11), sh(2026, 3, 3, 11)
    facts = [
        RECEIVED,
        CaseFact(F.DISPATCHED, first, unit="LEAD"),
        CaseFact(F.ASSISTING, first, unit="OLD"),
        CaseFact(F.COORDINATED, second, unit="ZZ"),
        CaseFact(F.ASSISTING, second, unit="NEW"),
    ]
    clocks = replay("C1", facts, CAL, default_policy_set())
    assert all(c.met_at == second for c in clocks if c.unit == "OLD")
    assert parties_of("C1", facts).assisting == {"NEW"}
