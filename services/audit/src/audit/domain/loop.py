"""Closed-loop completeness of one case (GZ Art. 17).

Rules, all data in `LoopPolicy`:
- Required: 受理 派单 办理 答复 办结 回访 评价. 督办 is not required; it appears in the record
  when it happened (a case that never ran late needs no supervision).
- A closed case waiting for its return visit reports 回访/评价 missing at once; `overdue`
  turns true once the grace period after 办结 has passed.
- A reopen (dissatisfied evaluation) starts a new cycle: 受理 and 派单 carry over, the loop
  restarts from 办理. Events stamped with an earlier cycle do not count for the current one.
- A merged case (并单) follows its main case: steps the main case reached count for it,
  except the steps each requester keeps for themselves (default 回访 评价).
- Order of events within a cycle is not judged here; the record shows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from audit.domain.steps import DEFAULT_STEP_MAP, LOOP_ORDER, LoopStep, evaluation_given


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
    merged_own_steps: tuple[LoopStep, ...] = (LoopStep.VISIT, LoopStep.EVALUATE)
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
    closed_at: datetime | None = None
    merged = False
    for ev in events:
        if ev.event_type == policy.reopen_event:
            # A dissatisfied evaluation reopens the case: a new handling cycle (DOMAIN "closed loop").
            new_cycle = _cycle_of(ev.payload)
            cycle = new_cycle if new_cycle is not None and new_cycle > cycle else cycle + 1
            reached &= set(policy.carried_on_reopen)
            closed_at = None
            continue
        stamped = _cycle_of(ev.payload)
        if stamped is not None and stamped < cycle:
            continue  # a late event of an earlier cycle
        if ev.event_type == policy.merge_event:
            merged = True
        step = policy.step_map.get(ev.event_type)
        if step is not None:
            reached.add(step)
        if evaluation_given(ev.event_type, ev.payload):
            reached.add(LoopStep.EVALUATE)
        if ev.event_type == policy.close_event:
            closed_at = ev.at

    if merged and main is not None:
        reached |= main.reached - set(policy.merged_own_steps)
        if closed_at is None:
            closed_at = main.closed_at

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
    )
