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

import hashlib
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


class LoopFold:
    """The loop of one case folded over its events in record order: ``add`` each event, then ``status``.

    What the fold keeps is all a later event or the status needs of the earlier ones, so a fold kept with the case's
    loop row (``to_json`` / ``from_json``, as of the entry it last took) continues with the entries after it and
    answers exactly as folding the whole record again would. ``merge_into`` is the case the record says it was
    merged into (its first merge event with a payload names it).
    """

    __slots__ = ("cycle", "reached", "ever", "reached_at", "closed_at", "merged", "on_its_own", "since", "_into")

    def __init__(self) -> None:
        self.cycle = 1
        self.reached: set[LoopStep] = set()
        self.ever: set[LoopStep] = set()
        self.reached_at: dict[LoopStep, datetime] = {}
        self.closed_at: datetime | None = None
        self.merged = self.on_its_own = False
        self.since: datetime | None = None  # when this request joined its main case
        self._into: tuple[object] | None = None  # (into_case_id,) of the first merge event with a payload

    def add(self, ev: LoopEvent, policy: LoopPolicy = DEFAULT_LOOP_POLICY) -> None:
        """Take the next event of the record."""
        if self._into is None and ev.event_type == policy.merge_event and ev.payload:
            self._into = (ev.payload.get("into_case_id"),)
        stamped = _cycle_of(ev.payload)
        if ev.event_type == policy.reopen_event:
            self.on_its_own = self.merged  # a merged request reopened is dispatched and answered as its own case
            if stamped is not None and stamped <= self.cycle:
                return  # that cycle's own events came first (below): it has begun already
            # A dissatisfied evaluation reopens the case: a new handling cycle (DOMAIN "closed loop").
            self.cycle = stamped if stamped is not None else self.cycle + 1
            self.reached &= set(policy.carried_on_reopen)
            self.closed_at = None
            return
        if stamped is not None and stamped < self.cycle:
            return  # a late event of an earlier cycle
        if stamped is not None and stamped > self.cycle:
            # A later cycle's event recorded before the reopen that began it: the reopen travels on intake's topic,
            # the handling on dispatch's, and the two are not ordered with each other. That cycle has begun.
            self.on_its_own = self.merged
            self.cycle = stamped
            self.reached &= set(policy.carried_on_reopen)
            self.closed_at = None
        if ev.event_type == policy.merge_event:
            self.merged, self.since = True, ev.at
        step = policy.step_map.get(ev.event_type)
        if unreached_visit(ev.event_type, ev.payload):
            step = None  # 联系不上: an attempt, not the visit
        steps = [] if step is None else [step]
        if evaluation_given(ev.event_type, ev.payload):
            steps.append(LoopStep.EVALUATE)
        for s in steps:
            self.reached.add(s)
            self.reached_at[s] = ev.at
        self.ever |= self.reached
        if ev.event_type == policy.close_event:
            self.closed_at = ev.at

    def merge_into(self, case_id: str) -> str | None:
        """The case this one's record says it was merged into, or None."""
        into = self._into[0] if self._into is not None else None
        return into if isinstance(into, str) and into != case_id else None

    def status(
        self, now: datetime, policy: LoopPolicy = DEFAULT_LOOP_POLICY, main: LoopStatus | None = None
    ) -> LoopStatus:
        """The loop status after the events taken (pass the main case's status for a merged case)."""
        reached, closed_at = set(self.reached), self.closed_at
        if self.merged and main is not None and not self.on_its_own:
            closed_at = _follow_main(reached, closed_at, self.since, main, policy)
        missing = tuple(s for s in LOOP_ORDER if s in policy.required and s not in reached)
        overdue = bool(missing) and closed_at is not None and now >= closed_at + policy.visit_grace
        return LoopStatus(
            complete=not missing,
            missing=missing,
            overdue=overdue,
            cycle=self.cycle,
            reached=frozenset(reached),
            closed_at=closed_at,
            merged=self.merged,
            ever_reached=frozenset(self.ever | reached),
            reached_at=dict(self.reached_at),
        )

    def to_json(self) -> dict[str, Any]:
        """The fold as JSON values (steps by their word, times in ISO 8601)."""
        return {
            "cycle": self.cycle,
            "reached": sorted(self.reached),
            "ever": sorted(self.ever),
            "reached_at": {str(s): at.isoformat() for s, at in self.reached_at.items()},
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "merged": self.merged,
            "on_its_own": self.on_its_own,
            "since": None if self.since is None else self.since.isoformat(),
            "into": None if self._into is None else list(self._into),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoopFold:
        """The fold ``to_json`` wrote."""
        fold = cls()
        fold.cycle = int(data["cycle"])
        fold.reached = {LoopStep(s) for s in data["reached"]}
        fold.ever = {LoopStep(s) for s in data["ever"]}
        fold.reached_at = {LoopStep(s): datetime.fromisoformat(at) for s, at in data["reached_at"].items()}
        fold.closed_at = None if data["closed_at"] is None else datetime.fromisoformat(data["closed_at"])
        fold.merged, fold.on_its_own = bool(data["merged"]), bool(data["on_its_own"])
        fold.since = None if data["since"] is None else datetime.fromisoformat(data["since"])
        fold._into = None if data["into"] is None else (data["into"][0],)
        return fold


def fold_key(policy: LoopPolicy) -> str:
    """What of the policy a fold depends on, digested: a fold kept under another policy is folded again."""
    parts = (
        policy.reopen_event,
        policy.merge_event,
        policy.close_event,
        sorted(str(s) for s in policy.carried_on_reopen),
        sorted((k, None if v is None else str(v)) for k, v in policy.step_map.items()),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def loop_status(
    events: Iterable[LoopEvent],
    now: datetime,
    policy: LoopPolicy = DEFAULT_LOOP_POLICY,
    main: LoopStatus | None = None,
) -> LoopStatus:
    """The loop status of one case from its events in record order (pass the main case's status for a merged case)."""
    fold = LoopFold()
    for ev in events:
        fold.add(ev, policy)
    return fold.status(now, policy, main)


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
