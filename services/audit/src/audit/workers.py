"""audit's background loops: held events past their wait, periodic anchors, gauges."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from audit import metrics
from audit.anchors import AnchorRepository
from audit.handlers import Recorder
from audit.settings import Settings
from caseflow_common.lease import Lease
from caseflow_common.runtime import Loop, ServiceRuntime

log = logging.getLogger(__name__)


async def every(interval_s: float, stop: asyncio.Event, tick: Callable[[], Awaitable[None]], name: str) -> None:
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


async def release_overdue_once(runtime: ServiceRuntime, recorder: Recorder, hold_s: float, limit: int = 200) -> int:
    """Record the events whose cause has not come within `hold_s` (each in its own transaction)."""
    cutoff = runtime.clock() - timedelta(seconds=hold_s)
    async with runtime.uow() as uow:
        due = await uow.records.held_before(cutoff, limit)
    released = 0
    for event_id in due:
        async with runtime.uow() as uow:
            if await recorder.release_overdue(uow, event_id):
                await uow.commit()
                released += 1
    return released


async def anchor_once(runtime: ServiceRuntime, lease: Lease | None = None) -> None:
    """Take one anchor over every case head (only the replica holding the anchor lease does)."""
    if lease is not None and not await lease.acquire():
        return
    async with runtime.uow() as uow:
        anchor = await AnchorRepository(uow.session).take(runtime.clock())
        await uow.commit()
    if anchor is not None:
        metrics.ANCHOR_AGE.set(0)


async def refresh_gauges(runtime: ServiceRuntime) -> None:
    """Open loops, anchor age and held events, read from the database."""
    async with runtime.uow() as uow:
        metrics.LOOPS_OPEN.set(await uow.loops.open_count())
        metrics.EVENTS_HELD.set(await uow.records.held_count())
        latest = await AnchorRepository(uow.session).latest()
    if latest is not None:
        age = (runtime.clock() - datetime.fromisoformat(latest.at)).total_seconds()
        metrics.ANCHOR_AGE.set(max(0.0, age))


def background_loops(settings: Settings, recorder: Recorder) -> list[Callable[[ServiceRuntime], Loop]]:
    """The loop factories the service spec runs."""

    def held_loop(runtime: ServiceRuntime) -> Loop:
        return lambda stop: every(
            settings.causal_check_interval_s,
            stop,
            lambda: _ignore(release_overdue_once(runtime, recorder, settings.causal_hold_s)),
            "held",
        )

    def anchor_loop(runtime: ServiceRuntime) -> Loop:
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

    def gauge_loop(runtime: ServiceRuntime) -> Loop:
        return lambda stop: every(settings.gauge_interval_s, stop, lambda: refresh_gauges(runtime), "gauges")

    return [held_loop, anchor_loop, gauge_loop]


async def _ignore(result: Awaitable[object]) -> None:
    await result


async def _after(delay_s: float, stop: asyncio.Event, then: Callable[[], Awaitable[None]]) -> None:
    # The first anchor waits one interval: a freshly started replica does not anchor at once.
    try:
        await asyncio.wait_for(stop.wait(), timeout=delay_s)
        return
    except TimeoutError:
        await then()
