"""Closed-loop completeness of one case (GZ Art. 17).

Rules, all data in `LoopPolicy`:
- Required: 受理 派单 办理 答复 办结 回访 评价. 督办 is not required; it appears in the record
  when it happened (a case that never ran late needs no supervision).
- A closed case waiting for its return visit reports 回访/评价 missing at once; `overdue`
  turns true once the grace period after 办结 has passed.
- A reopen (dissatisfied evaluation) starts a new cycle: 受理 and 派单 carry over, the loop
  restarts from 办理. Events stamped with an earlier cycle do not count for the current one; an event
  stamped with a later cycle begins that cycle even when it is recorded before its reopen (the reopen
  comes on intake's topic, the next handling on dispatch's, and audit reads them independently).
- A return visit counts only when it reached the requester (联系不上 is tried again, DOMAIN
  clarification 2026-11-30): an unreached visit leaves 回访 and 评价 missing.
- A merged case (并单) has its own closed loop (DOMAIN clarification 2026-11-30; GZ Art. 17).
  The handling it joined (派单 办理 督办) counts when the main case reached it, in any cycle.
  The main case's 答复 and 办结 are passed on to each requester waiting on it: they count for
  the merged case when the main case reached them after the request joined it, and a 办结
  passed on brings the 答复 with it; its own 答复/办结 events count too. 回访 and 评价 only
  its own events reach. A reopened main case does not undo a merged case's finished loop; a
  merged case reopened itself (its requester dissatisfied) is handled on its own from then on.
  Its overdue visit runs from its own 办结 (or the one passed on to it).
- Order of events within a cycle is not judged here; the record shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from audit.domain.steps import DEFAULT_STEP_MAP, LOOP_ORDER, LoopStep, evaluation_given, unreached_visit


@dataclass(frozen=True, slots=True)
class LoopPolicy:
    """The city's closed-loop rules."""

    required: tuple[LoopStep, ...] = (
        LoopStep.ACCEPT,
        LoopStep.DISPATCH,
        LoopStep.HANDLE,
        LoopStep.REPLY,
        LoopStep.CLOSE,
        LoopStep.VISIT,
        LoopStep.EVALUATE,
    )
    carried_on_reopen: tuple[LoopStep, ...] = (LoopStep.ACCEPT, LoopStep.DISPATCH)
    # Steps a merged request reaches only by its own events; the main case's answer passed on to it; the rest the
    # main case's handling stands in for.
    merged_own_steps: tuple[LoopStep, ...] = (LoopStep.VISIT, LoopStep.EVALUATE)
    merged_passed_on: tuple[LoopStep, ...] = (LoopStep.REPLY, LoopStep.CLOSE)
    visit_grace: timedelta = timedelta(days=3)
    reopen_event: str = "CaseReopened"
    merge_event: str = "CaseMerged"
    close_event: str = "CaseClosed"
    step_map: Mapping[str, LoopStep | None] = field(default_factory=lambda: DEFAULT_STEP_MAP)


DEFAULT_LOOP_POLICY = LoopPolicy()


@dataclass(frozen=True, slots=True)
class LoopEvent:
    """What the loop needs of one record entry."""

    event_type: str
    at: datetime
    payload: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class LoopStatus:
    """Loop state of a case's current cycle; `missing` is in loop order."""

    complete: bool
    missing: tuple[LoopStep, ...]
    overdue: bool
    cycle: int
    reached: frozenset[LoopStep]
    closed_at: datetime | None
    merged: bool = False
    ever_reached: frozenset[LoopStep] = frozenset()  # in any cycle: the handling a merged case joined
    reached_at: Mapping[LoopStep, datetime] = field(default_factory=dict)  # when each step was last reached


def _cycle_of(payload: Mapping[str, Any] | None) -> int | None:
    value = payload.get("cycle") if payload else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def loop_status(
    events: Iterable[LoopEvent],
    now: datetime,
    policy: LoopPolicy = DEFAULT_LOOP_POLICY,
    main: LoopStatus | None = None,
) -> LoopStatus:
    """The loop status of one case from its events in record order (pass the main case's status for a merged case)."""
    cycle = 1
    reached: set[LoopStep] = set()
    ever: set[LoopStep] = set()
    reached_at: dict[LoopStep, datetime] = {}
    closed_at: datetime | None = None
    merged = on_its_own = False
    since: datetime | None = None  # when this request joined its main case
    for ev in events:
        stamped = _cycle_of(ev.payload)
        if ev.event_type == policy.reopen_event:
            on_its_own = merged  # a merged request reopened is dispatched and answered as its own case
            if stamped is not None and stamped <= cycle:
                continue  # that cycle's own events came first (below): it has begun already
            # A dissatisfied evaluation reopens the case: a new handling cycle (DOMAIN "closed loop").
            cycle = stamped if stamped is not None else cycle + 1
            reached &= set(policy.carried_on_reopen)
            closed_at = None
            continue
        if stamped is not None and stamped < cycle:
            continue  # a late event of an earlier cycle
        if stamped is not None and stamped > cycle:
            # A later cycle's event recorded before the reopen that began it: the reopen travels on intake's topic,
            # the handling on dispatch's, and the two are not ordered with each other. That cycle has begun.
            on_its_own = merged
            cycle = stamped
            reached &= set(policy.carried_on_reopen)
            closed_at = None
        if ev.event_type == policy.merge_event:
            merged, since = True, ev.at
        step = policy.step_map.get(ev.event_type)
        if unreached_visit(ev.event_type, ev.payload):
            step = None  # 联系不上: an attempt, not the visit
        steps = [] if step is None else [step]
        if evaluation_given(ev.event_type, ev.payload):
            steps.append(LoopStep.EVALUATE)
        for s in steps:
            reached.add(s)
            reached_at[s] = ev.at
        ever |= reached
        if ev.event_type == policy.close_event:
            closed_at = ev.at

    if merged and main is not None and not on_its_own:
        closed_at = _follow_main(reached, closed_at, since, main, policy)

    missing = tuple(s for s in LOOP_ORDER if s in policy.required and s not in reached)
    overdue = bool(missing) and closed_at is not None and now >= closed_at + policy.visit_grace
    return LoopStatus(
        complete=not missing,
        missing=missing,
        overdue=overdue,
        cycle=cycle,
        reached=frozenset(reached),
        closed_at=closed_at,
        merged=merged,
        ever_reached=frozenset(ever | reached),
        reached_at=reached_at,
    )


def _follow_main(
    reached: set[LoopStep], closed_at: datetime | None, since: datetime | None, main: LoopStatus, policy: LoopPolicy
) -> datetime | None:
    """Add to a merged case's `reached` what its main case gives it; returns its 办结 time."""
    own, passed_on = set(policy.merged_own_steps), set(policy.merged_passed_on)
    reached |= main.ever_reached - own - passed_on
    taken = {s for s in passed_on if (at := main.reached_at.get(s)) is not None and (since is None or at >= since)}
    if LoopStep.CLOSE in taken and LoopStep.REPLY in passed_on:
        taken.add(LoopStep.REPLY)  # joined after the main case's reply: the answer comes with the closure
    reached |= taken
    if closed_at is None and LoopStep.CLOSE in taken:
        closed_at = main.reached_at[LoopStep.CLOSE]
    return closed_at
