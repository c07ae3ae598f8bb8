"""When a clock next needs the scheduler: the earliest moment at which `ladder.next_actions` would issue something.

The scheduler stores this moment as the clock's `next_due_at` and selects only rows whose moment has come, so a
pass costs what is due, not what is open.  None means nothing can fall due any more (met, rectified, top rung,
or paused before its deadline: resuming recomputes it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from caseflow_common.contracts.escalation import Rung
from escalation.domain.clock import Clock
from escalation.domain.ladder import LadderPolicy, SupervisionAction

# next_actions issues a breach only strictly after the deadline; a microsecond later is the first such moment.
TICK = timedelta(microseconds=1)


def next_due_at(
    clock: Clock, issued: Iterable[SupervisionAction], policy: LadderPolicy | None = None
) -> datetime | None:
    """The first moment after which `next_actions(clock, issued, ...)` returns something new, or None."""
    policy = policy or LadderPolicy()
    mine = {
        a.rung: a
        for a in issued
        if a.case_id == clock.case_id and a.cycle == clock.cycle and a.clock_kind == clock.kind and a.leg == clock.leg
    }

    def open_at(moment: datetime) -> bool:
        return clock.met_at is None or clock.met_at > moment

    warn_at = clock.warn_at
    if policy.remind and Rung.REMINDER not in mine and warn_at is not None and open_at(warn_at):
        return warn_at
    if not clock.deadline_settled or not open_at(clock.deadline):
        return None
    at = clock.deadline
    for rung in policy.climb:
        current = mine.get(rung)
        if current is None:
            return at + TICK
        if current.rectified_in_time():
            return None
        at = current.rectification_deadline
        if policy.met_clock_stops_climb and not open_at(at):
            return None
    return None
