"""The durable-timer scheduler: fire what is due, exactly once, on any number of replicas.

Each pass claims due clocks with an indexed query (`next_due_at <= now`, earliest first; `FOR UPDATE SKIP
LOCKED` on PostgreSQL so replicas split the work), lets the ladder say what is due (GZ Art. 48; SZ Art. 56),
inserts the actions if absent (deterministic ids, primary key) and emits an event only for rows it inserted, then
moves each clock's `next_due_at` on - all in one transaction with the outbox.  Nothing is kept in memory, so a
restart simply finds what fell due while it was down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from caseflow_common.contracts.escalation import ClocksUpdated, SlaWarningIssued, SupervisionActionIssued
from caseflow_common.events import Payload
from caseflow_common.runtime import ServiceRuntime
from escalation import metrics
from escalation.clock_store import action_from_row, action_to_row, clock_from_row, current_views
from escalation.config import ConfigStore
from escalation.domain.ladder import Rung, SupervisionAction, next_actions
from escalation.domain.timer import next_due_at
from escalation.tracking import emit, envelope_bytes
from escalation.uow import EscalationUnitOfWork

log = logging.getLogger(__name__)


@dataclass
class PassResult:
    """What one pass did."""

    clocks: int = 0
    actions: int = 0


class _Events:
    """The pass's events: on PostgreSQL written to the outbox in one statement, else through the unit of work."""

    def __init__(self, uow: EscalationUnitOfWork, now: datetime) -> None:
        self.uow, self.now = uow, now
        self.bulk = uow.repo.is_postgres
        self.rows: list[tuple[str, str, str, bytes]] = []

    def add(self, payload: Payload, case_id: str) -> None:
        if not self.bulk:
            emit(self.uow, payload, case_id, self.now)
            return
        event_id, raw = envelope_bytes(payload, case_id, self.now)
        self.rows.append((event_id, case_id, payload.event_type, raw))

    async def flush(self) -> None:
        if self.rows:
            await self.uow.repo.add_outbox(self.uow.topic, self.rows, self.now)


def _issue_events(events: _Events, action: SupervisionAction, policy_version: int, fraction: float) -> None:
    events.add(
        SupervisionActionIssued(
            action_id=action.id,
            rung=action.rung.value,
            unit=action.unit,
            case_ids=list(action.case_ids),
            clock_kind=action.clock_kind.value,
            rectification_deadline=action.rectification_deadline,
            policy_version=policy_version,
            cycle=action.cycle,
            issued_at=action.issued_at,
            provisional=action.provisional,
        ),
        action.case_id,
    )
    unit = action.unit or "none"
    metrics.SUPERVISION_ACTIONS.labels(action.rung.value).inc()
    if action.rung is Rung.REMINDER:
        # 预警/催办: the warning fraction of the clock is used up.
        events.add(
            SlaWarningIssued(
                clock_kind=action.clock_kind.value,
                unit=action.unit,
                deadline=action.rectification_deadline,
                fraction=fraction,
            ),
            action.case_id,
        )
        metrics.SLA_WARNINGS.labels(unit).inc()
    elif action.rung is Rung.SUPERVISE:
        metrics.SLA_BREACHES.labels(unit).inc()


async def _one_batch(uow: EscalationUnitOfWork, store: ConfigStore, now: datetime, batch: int) -> PassResult:
    repo = uow.repo
    cfg = await store.refresh(repo)
    rows = await repo.due_clocks(now, batch)
    if not rows:
        return PassResult()
    case_ids = sorted({r.case_id for r in rows})
    issued: dict[tuple[str, int, str], list[SupervisionAction]] = defaultdict(list)
    for a in await repo.actions_of_cases(case_ids):
        issued[(a.case_id, a.cycle, a.clock_kind)].append(action_from_row(a))
    new_rows, fresh, next_due, fractions, versions, built = [], [], [], {}, {}, {}
    for row in rows:
        clock = built[row.id] = clock_from_row(row, cfg.calendar)
        known = issued[(row.case_id, row.cycle, row.kind)]
        due = next_actions(clock, known, now, cfg.ladder)
        for action in due:
            new_rows.append(action_to_row(action, row.policy_version))
            fractions[action.id], versions[action.id] = clock.spec.warn_at, row.policy_version
        fresh.extend(due)
        next_due.append((row.id, next_due_at(clock, [*known, *due], cfg.ladder)))
    inserted = await repo.insert_actions(new_rows)
    events = _Events(uow, now)
    breached = set()
    for action in fresh:
        if action.id in inserted:  # a replica or an earlier run that fired it already emitted its events
            _issue_events(events, action, versions[action.id], fractions[action.id])
            if action.rung is Rung.SUPERVISE:
                breached.add(action.case_id)
    await repo.set_next_due(next_due)
    if breached:  # a breach changes the clock's state: intake shows it
        by_case = defaultdict(list)
        for r in await repo.clock_rows(sorted(breached)):
            by_case[r.case_id].append(built.get(r.id) or clock_from_row(r, cfg.calendar))
        for case_id, clocks in by_case.items():
            events.add(ClocksUpdated(clocks=current_views(clocks, now)), case_id)
    await events.flush()
    await uow.commit()
    return PassResult(len(rows), len(inserted))


async def run_scheduler_pass(runtime: ServiceRuntime, now: datetime | None = None) -> PassResult:
    """Fire everything due at `now` (default: the runtime clock), batch by batch, until nothing due is left."""
    now = now or runtime.clock()
    store: ConfigStore = runtime.context.config
    batch = runtime.settings.scheduler_batch  # type: ignore[attr-defined]
    total = PassResult()
    started = time.perf_counter()
    while True:
        async with runtime.uow() as uow:
            result = await _one_batch(uow, store, now, batch)  # type: ignore[arg-type]
        total.clocks += result.clocks
        total.actions += result.actions
        if result.clocks < batch:
            break
    metrics.SCHEDULER_PASS.observe(time.perf_counter() - started)
    return total


async def refresh_gauges(runtime: ServiceRuntime) -> None:
    """Count open and provisional clocks (metrics, /readyz detail)."""
    async with runtime.uow() as uow:
        open_clocks, provisional = await uow.repo.open_counts()  # type: ignore[attr-defined]
    metrics.CLOCKS_OPEN.set(open_clocks)
    metrics.PROVISIONAL_DEADLINES.set(provisional)
    runtime.context.gauges.update(open_clocks=open_clocks, provisional_deadlines=provisional)


def scheduler_loop(runtime: ServiceRuntime):  # type: ignore[no-untyped-def]
    """Background loop: a pass, then wait for the interval (or stop); gauges refresh on their own interval."""
    settings = runtime.settings

    async def loop(stop: asyncio.Event) -> None:
        next_gauges = 0.0
        while not stop.is_set():
            try:
                result = await run_scheduler_pass(runtime)
                if time.monotonic() >= next_gauges:
                    await refresh_gauges(runtime)
                    next_gauges = time.monotonic() + settings.gauge_interval_s  # type: ignore[attr-defined]
            except Exception:
                log.exception("scheduler pass failed")
                result = PassResult()
            if result.actions:
                continue  # more may be due
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.scheduler_interval_s)  # type: ignore[attr-defined]
            except TimeoutError:
                pass

    return loop
