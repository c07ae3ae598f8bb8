"""audit's background loops: held events past their wait, periodic anchors, gauges."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from audit import metrics
from audit.commands import anchor_once, release_overdue_once
from audit.settings import Settings
from audit.uow import AuditRuntime
from caseflow_common.lease import Lease
from caseflow_common.runtime import Loop

log = logging.getLogger(__name__)


async def every(interval_s: float, stop: asyncio.Event, tick: Callable[[], Awaitable[object]], name: str) -> None:
    """Run `tick` every `interval_s` until `stop`; a failing tick is logged and retried next time."""
    while not stop.is_set():
        try:
            await tick()
        except Exception:
            log.exception("background tick failed", extra={"loop": name})
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            pass


async def refresh_gauges(runtime: AuditRuntime) -> None:
    """Open loops, anchor age and held events, read from the database."""
    async with runtime.uow() as uow:
        metrics.LOOPS_OPEN.set(await uow.loops.open_count())
        metrics.EVENTS_HELD.set(await uow.records.held_count())
        latest = await uow.anchors.latest()
    if latest is not None:
        age = (runtime.clock() - datetime.fromisoformat(latest.at)).total_seconds()
        metrics.ANCHOR_AGE.set(max(0.0, age))


def background_loops(settings: Settings) -> list[Callable[[AuditRuntime], Loop]]:
    """The loop factories the service spec runs."""

    def held_loop(runtime: AuditRuntime) -> Loop:
        return lambda stop: every(
            settings.causal_check_interval_s,
            stop,
            lambda: release_overdue_once(runtime, settings.causal_hold_s),
            "held",
        )

    def anchor_loop(runtime: AuditRuntime) -> Loop:
        lease = Lease(
            runtime.sessions,
            runtime.leases,
            "audit-anchor",
            timedelta(seconds=2 * settings.anchor_interval_s),
            runtime.clock,
        )
        return lambda stop: _after(
            settings.anchor_interval_s,
            stop,
            lambda: every(settings.anchor_interval_s, stop, lambda: anchor_once(runtime, lease), "anchor"),
        )

    def gauge_loop(runtime: AuditRuntime) -> Loop:
        return lambda stop: every(settings.gauge_interval_s, stop, lambda: refresh_gauges(runtime), "gauges")

    return [held_loop, anchor_loop, gauge_loop]


async def _after(delay_s: float, stop: asyncio.Event, then: Callable[[], Awaitable[None]]) -> None:
    # The first anchor waits one interval: a freshly started replica does not anchor at once.
    try:
        await asyncio.wait_for(stop.wait(), timeout=delay_s)
        return
    except TimeoutError:
        await then()
