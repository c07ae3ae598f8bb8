"""The durable-timer scheduler: fire what is due, exactly once, on any number of replicas.

Each pass claims due clocks with an indexed query (`next_due_at <= now`, earliest first; `FOR UPDATE SKIP
LOCKED` on PostgreSQL so replicas split the work), lets the ladder say what is due (GZ Art. 48; SZ Art. 56),
inserts the actions if absent (deterministic ids, primary key) and emits an event only for rows it inserted, then
moves each clock's `next_due_at` on - all in one transaction with the outbox (the unit of work writes the batch's
events in one statement).  Nothing is kept in memory, so a restart simply finds what fell due while it was down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caseflow_common.contracts.escalation import ClocksUpdated, Rung, SlaWarningIssued, SupervisionActionIssued
from caseflow_common.events import Envelope
from caseflow_common.runtime import Loop
from escalation import metrics
from escalation.clock_store import action_from_row, action_to_row, clock_from_row, current_views
from escalation.config import ConfigStore
from escalation.domain.clock import Clock
from escalation.domain.ladder import SupervisionAction, next_actions
from escalation.domain.timer import next_due_at
from escalation.gauges import refresh_gauges
from escalation.publishing import envelope
from escalation.uow import EscalationRuntime, EscalationUnitOfWork

log = logging.getLogger(__name__)


@dataclass
class PassResult:
    """What one pass did."""

    clocks: int = 0
    actions: int = 0


def _issue_events(action: SupervisionAction, policy_version: int, fraction: float, now: datetime) -> list[Envelope]:
    clock_kind = action.clock_kind.value if action.clock_kind else ""
    events = [
        envelope(
            SupervisionActionIssued(
                action_id=action.id,
                rung=action.rung,
                unit=action.unit,
                case_ids=list(action.case_ids),
                clock_kind=clock_kind,
                rectification_deadline=action.rectification_deadline,
                policy_version=policy_version,
                cycle=action.cycle,
                issued_at=action.issued_at,
                provisional=action.provisional,
            ),
            action.case_id,
            now,
        )
    ]
    if action.rung is Rung.REMINDER:
        # 预警/催办: the warning fraction of the clock is used up.
        events.append(
            envelope(
                SlaWarningIssued(
                    clock_kind=clock_kind,
                    unit=action.unit,
                    deadline=action.rectification_deadline,
                    fraction=fraction,
                ),
                action.case_id,
                now,
            )
        )
    return events


def _count(uow: EscalationUnitOfWork, action: SupervisionAction) -> None:
    """Count the action (its rung; a reminder as a warning, a supervise as a breach of its unit) once the pass
    commits: a pass that fails at commit and runs again counts it once."""
    unit = action.unit or "none"
    uow.after_commit(metrics.SUPERVISION_ACTIONS.labels(action.rung.value).inc)
    if action.rung is Rung.REMINDER:
        uow.after_commit(metrics.SLA_WARNINGS.labels(unit).inc)
    elif action.rung is Rung.SUPERVISE:
        uow.after_commit(metrics.SLA_BREACHES.labels(unit).inc)


async def _one_batch(uow: EscalationUnitOfWork, store: ConfigStore, now: datetime, batch: int) -> PassResult:
    repo = uow.repo
    cfg = await store.refresh(repo)
    rows = await repo.due_clocks(now, batch)
    if not rows:
        return PassResult()
    case_ids = sorted({r.case_id for r in rows})
    issued: dict[tuple[str, int, str, str], list[SupervisionAction]] = defaultdict(list)
    for a in await repo.actions_of_cases(case_ids):
        issued[(a.case_id, a.cycle, a.clock_kind, a.leg)].append(action_from_row(a))
    new_rows: list[dict[str, Any]] = []
    fresh: list[SupervisionAction] = []
    next_due: list[tuple[int, datetime | None]] = []
    fractions: dict[str, float] = {}
    versions: dict[str, int] = {}
    built: dict[int, Clock] = {}
    for row in rows:
        clock = built[row.id] = clock_from_row(row, cfg.calendar)
        known = issued[(row.case_id, row.cycle, row.kind, row.leg)]
        due = next_actions(clock, known, now, cfg.ladder)
        for action in due:
            new_rows.append(action_to_row(action, row.policy_version))
            fractions[action.id], versions[action.id] = clock.spec.warn_at, row.policy_version
        fresh.extend(due)
        next_due.append((row.id, next_due_at(clock, [*known, *due], cfg.ladder)))
    inserted = await repo.insert_actions(new_rows)
    events: list[Envelope] = []
    breached: set[str] = set()
    for action in fresh:
        if action.id in inserted:  # a replica or an earlier run that fired it already emitted its events
            events.extend(_issue_events(action, versions[action.id], fractions[action.id], now))
            _count(uow, action)
            if action.rung is Rung.SUPERVISE:
                breached.add(action.case_id)
    await repo.set_next_due(next_due)
    if breached:  # a breach changes the clock's state: intake shows it
        by_case: dict[str, list[Clock]] = defaultdict(list)
        for r in await repo.clock_rows(sorted(breached)):
            by_case[r.case_id].append(built.get(r.id) or clock_from_row(r, cfg.calendar))
        for case_id, clocks in by_case.items():
            events.append(envelope(ClocksUpdated(clocks=current_views(clocks, now)), case_id, now))
    uow.emit_all(events)
    await uow.commit()
    return PassResult(len(rows), len(inserted))


async def run_scheduler_pass(runtime: EscalationRuntime, now: datetime | None = None) -> PassResult:
    """Fire everything due at `now` (default: the runtime clock), batch by batch, until nothing due is left."""
    now = now or runtime.clock()
    ctx = runtime.context
    batch = ctx.pace.batch
    total = PassResult()
    started = time.perf_counter()
    while True:
        async with runtime.uow() as uow:
            result = await _one_batch(uow, ctx.config, now, batch)
        total.clocks += result.clocks
        total.actions += result.actions
        if result.clocks < batch:
            break
    metrics.SCHEDULER_PASS.observe(time.perf_counter() - started)
    return total


def scheduler_loop(runtime: EscalationRuntime) -> Loop:
    """Background loop: a pass, then wait for the interval (or stop); gauges refresh on their own interval."""
    pace = runtime.context.pace

    async def loop(stop: asyncio.Event) -> None:
        next_gauges = 0.0
        while not stop.is_set():
            try:
                result = await run_scheduler_pass(runtime)
                if time.monotonic() >= next_gauges:
                    await refresh_gauges(runtime)
                    next_gauges = time.monotonic() + pace.gauge_interval_s
            except Exception:
                log.exception("scheduler pass failed")
                result = PassResult()
            if result.actions:
                continue  # more may be due
            try:
                await asyncio.wait_for(stop.wait(), timeout=pace.interval_s)
            except TimeoutError:
                pass

    return loop
