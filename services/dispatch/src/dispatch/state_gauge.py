"""Background loop: refresh caseflow_cases_by_state from the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from caseflow_common.runtime import ServiceRuntime
from dispatch import metrics
from dispatch.domain import CaseStatus

log = logging.getLogger(__name__)


async def refresh_states(runtime: ServiceRuntime) -> None:
    """Set the gauge for every state (zero where no case is)."""
    async with runtime.uow() as uow:
        counts = await uow.cases.count_by_state()  # type: ignore[attr-defined]
    for state in CaseStatus:
        metrics.CASES_BY_STATE.labels(state.value).set(counts.get(state.value, 0))


def state_gauge_loop(runtime: ServiceRuntime) -> Callable[[asyncio.Event], Awaitable[None]]:
    """Factory for ServiceSpec.loops: refresh every ``state_gauge_interval_s`` until stopped."""
    interval = runtime.settings.state_gauge_interval_s  # type: ignore[attr-defined]

    async def loop(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await refresh_states(runtime)
            except Exception:
                log.warning("cases_by_state refresh failed", exc_info=True)
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                pass

    return loop
