from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.domain.calendar import SHANGHAI, CalendarYear, TimeUnit, WorkCalendar
from escalation.domain.clock import Clock, ClockState
from escalation.domain.policy import ClockKind, ClockSpec

CAL = WorkCalendar()


def sh(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def clock(start: datetime, amount: float = 10, unit: TimeUnit = TimeUnit.WORKING_DAYS, cal=CAL) -> Clock:
    return Clock("C1", ClockKind.HANDLING, "U-city-mgmt", 1, start, ClockSpec(amount, unit), "v1", cal)


def test_a_running_clock_breaches_only_after_its_deadline():
    c = clock(sh(2026, 3, 2))
    assert c.deadline == sh(2026, 3, 16, 18)
    assert c.state_at(sh(2026, 3, 16, 18)) is ClockState.RUNNING
    assert c.state_at(sh(2026, 3, 16, 18, 1)) is ClockState.BREACHED


def test_meeting_the_clock_stops_it_and_records_whether_it_was_on_time():
    c = clock(sh(2026, 3, 2)).meet(sh(2026, 3, 10))
    assert c.state_at(sh(2026, 4, 1)) is ClockState.MET
    assert c.met_on_time() is True
    assert clock(sh(2026, 3, 2)).meet(sh(2026, 3, 17)).met_on_time() is False


def test_a_paused_clock_does_not_breach_while_paused():
    c = clock(sh(2026, 3, 2)).pause(sh(2026, 3, 10))
    assert c.state_at(sh(2026, 5, 1)) is ClockState.PAUSED
    assert c.warn_at is None


def test_two_working_days_of_pause_move_the_deadline_two_working_days():
    c = clock(sh(2026, 3, 2)).pause(sh(2026, 3, 10, 10)).resume(sh(2026, 3, 12, 10))
    assert c.deadline == sh(2026, 3, 18, 18)
    assert c.state_at(sh(2026, 3, 17)) is ClockState.RUNNING


def test_a_pause_after_the_breach_does_not_undo_it():
    c = clock(sh(2026, 3, 2)).pause(sh(2026, 3, 20)).resume(sh(2026, 3, 25))
    assert c.deadline == sh(2026, 3, 16, 18)


def test_a_natural_clock_moves_by_natural_time():
    c = clock(sh(2026, 2, 16, 10), 24, TimeUnit.NATURAL_HOURS)
    assert c.deadline == sh(2026, 2, 17, 10)
    moved = c.pause(sh(2026, 2, 16, 20)).resume(sh(2026, 2, 16, 23))
    assert moved.deadline == sh(2026, 2, 17, 13)


def test_the_warning_comes_at_eighty_percent_of_the_allowed_working_time():
    c = clock(sh(2026, 3, 2))
    used = CAL.working_time_between(c.started_at, c.warn_at)
    assert used == c.allowed * 0.8
    assert c.warn_at < c.deadline


def test_a_clock_into_2027_is_provisional_until_the_year_is_published():
    c = clock(sh(2026, 12, 28))
    assert c.provisional
    exact = c.recompute(CAL.with_year(CalendarYear(2027, holidays=frozenset({date(2027, 1, 1)}))))
    assert not exact.provisional
    assert exact.deadline == sh(2027, 1, 12, 18)


starts = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 9, 30), timezones=st.just(UTC))


@settings(max_examples=120, deadline=None)
@given(
    start=starts,
    amount=st.integers(min_value=1, max_value=15),
    unit=st.sampled_from([TimeUnit.WORKING_DAYS, TimeUnit.WORKING_HOURS]),
    pause_after=st.floats(min_value=0, max_value=0.99),
    pause_for=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=12)),
)
def test_pausing_for_d_and_resuming_moves_the_deadline_by_exactly_d_of_working_time(
    start, amount, unit, pause_after, pause_for
):
    c = clock(start, amount, unit)
    paused_at = start + (c.deadline - start) * pause_after
    resumed_at = paused_at + pause_for
    moved = c.pause(paused_at).resume(resumed_at)
    d = CAL.working_time_between(paused_at, resumed_at)
    assert CAL.working_time_between(c.deadline, moved.deadline) == d
    if d:
        assert moved.deadline > c.deadline
    else:
        assert moved.deadline == c.deadline
