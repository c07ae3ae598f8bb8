from datetime import datetime, timedelta

from caseflow_common.contracts.escalation import Rung
from escalation.domain.calendar import SHANGHAI, TimeUnit, WorkCalendar
from escalation.domain.clock import Clock
from escalation.domain.ladder import LadderPolicy, action_id, next_actions
from escalation.domain.policy import ClockKind, ClockSpec

CAL = WorkCalendar()
MINUTE = timedelta(minutes=1)


def sh(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def handling_clock() -> Clock:
    # received Monday 2 March 2026; ten working days -> Monday 16 March 18:00
    spec = ClockSpec(10, TimeUnit.WORKING_DAYS)
    return Clock("C1", ClockKind.HANDLING, "U1", 1, sh(2026, 3, 2), spec, "v1", CAL)


def run(clock, moments, issued=()):
    """Call next_actions at each moment, feeding back what was issued, as the service would."""
    issued = list(issued)
    for now in moments:
        issued += next_actions(clock, issued, now)
    return issued


def test_nothing_is_due_before_the_warning():
    assert next_actions(handling_clock(), [], sh(2026, 3, 3)) == []


def test_a_warning_issues_a_reminder_at_eighty_percent():
    clock = handling_clock()
    actions = next_actions(clock, [], clock.warn_at)
    assert [a.rung for a in actions] == [Rung.REMINDER]
    assert actions[0].issued_at == clock.warn_at
    assert actions[0].rectification_deadline == clock.deadline


def test_a_breached_clock_climbs_the_whole_ladder_with_its_rectification_deadlines():
    clock = handling_clock()
    moments = [sh(2026, 3, 1) + timedelta(hours=h) for h in range(0, 24 * 60, 3)]
    actions = {a.rung: a for a in run(clock, moments)}
    assert list(actions) == [Rung.REMINDER, Rung.SUPERVISE, Rung.NOTIFY, Rung.INTERVIEW, Rung.LISTED]
    s, n, i, listed = (actions[r] for r in (Rung.SUPERVISE, Rung.NOTIFY, Rung.INTERVIEW, Rung.LISTED))
    assert (s.issued_at, s.rectification_deadline) == (sh(2026, 3, 16, 18), sh(2026, 3, 19, 18))
    assert (n.issued_at, n.rectification_deadline) == (sh(2026, 3, 19, 18), sh(2026, 3, 24, 18))
    assert (i.issued_at, i.rectification_deadline) == (sh(2026, 3, 24, 18), sh(2026, 3, 31, 18))
    # ten working days after 31 March skip Qingming (4-6 April 2026)
    assert (listed.issued_at, listed.rectification_deadline) == (sh(2026, 3, 31, 18), sh(2026, 4, 15, 18))
    assert all(a.unit == "U1" and a.case_ids == ("C1",) for a in actions.values())


def test_each_rung_waits_until_the_previous_rectification_deadline_has_passed():
    clock = handling_clock()
    at_deadline = run(clock, [sh(2026, 3, 16, 18)])
    assert [a.rung for a in at_deadline] == [Rung.REMINDER]
    after_breach = run(clock, [sh(2026, 3, 16, 18) + MINUTE])
    assert [a.rung for a in after_breach] == [Rung.REMINDER, Rung.SUPERVISE]
    assert [a.rung for a in run(clock, [sh(2026, 3, 19, 18) + MINUTE])][-1] is Rung.NOTIFY


def test_listed_supervision_is_the_top_rung():
    clock = handling_clock()
    issued = run(clock, [sh(2026, 12, 31)])
    assert [a.rung for a in issued][-1] is Rung.LISTED
    assert next_actions(clock, issued, sh(2027, 6, 1)) == []


def test_resolving_a_rung_in_time_stops_the_climb():
    clock = handling_clock()
    issued = run(clock, [sh(2026, 3, 17)])
    supervise = next(a for a in issued if a.rung is Rung.SUPERVISE)
    issued = [a.resolve("road repaired", sh(2026, 3, 18)) if a is supervise else a for a in issued]
    assert next_actions(clock, issued, sh(2026, 5, 1)) == []


def test_resolving_too_late_does_not_stop_the_next_rung():
    clock = handling_clock()
    issued = run(clock, [sh(2026, 3, 17)])
    issued = [a.resolve("late", sh(2026, 3, 20)) if a.rung is Rung.SUPERVISE else a for a in issued]
    assert [a.rung for a in next_actions(clock, issued, sh(2026, 3, 20, 12))] == [Rung.NOTIFY]


def test_a_clock_met_in_time_is_never_supervised():
    clock = handling_clock().meet(sh(2026, 3, 13))
    assert [a.rung for a in next_actions(clock, [], sh(2026, 6, 1))] == [Rung.REMINDER]


def test_handling_the_case_after_a_breach_stops_further_climbing():
    clock = handling_clock().meet(sh(2026, 3, 18))
    assert [a.rung for a in next_actions(clock, [], sh(2026, 6, 1))] == [Rung.REMINDER, Rung.SUPERVISE]


def test_the_same_inputs_give_the_same_action_ids():
    clock = handling_clock()
    first = next_actions(clock, [], sh(2026, 4, 1))
    second_replica = next_actions(handling_clock(), [], sh(2026, 4, 1, 12))
    assert [a.id for a in first] == [a.id for a in second_replica]
    assert first == second_replica
    assert first[1].id == action_id("C1", 1, ClockKind.HANDLING, Rung.SUPERVISE)
    assert next_actions(clock, first, sh(2026, 4, 1)) == []


def test_the_rectification_periods_are_data():
    clock = handling_clock()
    policy = LadderPolicy(climb=(Rung.SUPERVISE, Rung.LISTED), remind=False)
    rungs = [a.rung for a in next_actions(clock, [], sh(2026, 12, 1), policy)]
    assert rungs == [Rung.SUPERVISE, Rung.LISTED]
    assert LadderPolicy(climb=(Rung.SUPERVISE,), rectification={}).validate() != []
