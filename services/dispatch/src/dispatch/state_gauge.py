"""Background loop: refresh caseflow_cases_by_state from the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from caseflow_common.runtime import Loop
from dispatch import metrics
from dispatch.domain import CaseStatus
from dispatch.uow import DispatchRuntime

log = logging.getLogger(__name__)


async def refresh_states(runtime: DispatchRuntime) -> None:
    """Set the gauge for every state (zero where no case is)."""
    async with runtime.uow() as uow:
        counts = await uow.reads.count_by_state()
    for state in CaseStatus:
        metrics.CASES_BY_STATE.labels(state.value).set(counts.get(state.value, 0))


def state_gauge(interval_s: float) -> Callable[[DispatchRuntime], Loop]:
    """A ServiceSpec loop refreshing the gauge every ``interval_s`` seconds until stopped."""

    def state_gauge_loop(runtime: DispatchRuntime) -> Loop:
        async def loop(stop: asyncio.Event) -> None:
            while not stop.is_set():
                try:
                    await refresh_states(runtime)
                except Exception:
                    log.warning("cases_by_state refresh failed", exc_info=True)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=interval_s)
                except TimeoutError:
                    pass

        return loop

    return state_gauge_loop
