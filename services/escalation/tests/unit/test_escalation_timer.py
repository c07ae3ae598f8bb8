"""The durable timer's next moment is exactly when the ladder next has something to issue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.domain.calendar import WorkCalendar
from escalation.domain.clock import Clock
from escalation.domain.ladder import next_actions
from escalation.domain.policy import ClockKind, default_policy_set
from escalation.domain.timer import TICK, next_due_at

CAL = WorkCalendar()
SPEC = default_policy_set().select_or_raise("hotline", None, "normal").clocks[ClockKind.HANDLING]
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _clock(offset_minutes: int) -> Clock:
    return Clock("C-1", ClockKind.HANDLING, "U", 1, START + timedelta(minutes=offset_minutes), SPEC, "1", CAL)


@settings(max_examples=25, deadline=None)
@given(offset=st.integers(0, 60 * 24 * 20), steps=st.integers(1, 5))  # reminder and four rungs
def test_nothing_is_due_before_the_timer_and_something_is_due_at_it(offset: int, steps: int) -> None:
    clock, issued = _clock(offset), []
    for _ in range(steps):
        due = next_due_at(clock, issued)
        assert due is not None
        assert next_actions(clock, issued, due - TICK) == []
        fired = next_actions(clock, issued, due)
        assert fired
        issued += fired


def test_a_clock_met_on_time_needs_no_timer_after_its_warning() -> None:
    clock = _clock(0)
    warned = next_actions(clock, [], clock.warn_at)
    met = clock.meet(clock.deadline - timedelta(hours=1))
    assert next_due_at(met, warned) is None


def test_after_listed_supervision_nothing_is_left_to_fire() -> None:
    clock = _clock(0)
    everything = next_actions(clock, [], START + timedelta(days=365))
    assert [a.rung.value for a in everything] == ["reminder", "supervise", "notify", "interview", "listed"]
    assert next_due_at(clock, everything) is None
