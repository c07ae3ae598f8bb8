"""Background loops: refresh caseflow_cases_by_state from the database; run the effects of directory changes whose
effective date came (and pick up versions another replica stored)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from caseflow_common.runtime import Loop
from dispatch import metrics
from dispatch.directory_commands import apply_due
from dispatch.domain import CaseStatus
from dispatch.uow import DispatchRuntime

log = logging.getLogger(__name__)


async def refresh_states(runtime: DispatchRuntime) -> None:
    """Set the gauge for every state (zero where no case is)."""
    async with runtime.uow() as uow:
        counts = await uow.reads.count_by_state()
    for state in CaseStatus:
        metrics.CASES_BY_STATE.labels(state.value).set(counts.get(state.value, 0))


def periodic(
    name: str, interval_s: float, step: Callable[[DispatchRuntime], Awaitable[object]]
) -> Callable[[DispatchRuntime], Loop]:
    """A ServiceSpec loop running ``step`` every ``interval_s`` seconds until stopped (a failed step is logged)."""

    def make(runtime: DispatchRuntime) -> Loop:
        async def loop(stop: asyncio.Event) -> None:
            while not stop.is_set():
                try:
                    await step(runtime)
                except Exception:
                    log.warning("background step failed", extra={"loop": name}, exc_info=True)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=interval_s)
                except TimeoutError:
                    pass

        return loop

    make.__name__ = name
    return make


def state_gauge(interval_s: float) -> Callable[[DispatchRuntime], Loop]:
    """Refresh caseflow_cases_by_state every ``interval_s`` seconds."""
    return periodic("state_gauge_loop", interval_s, refresh_states)


def directory_effects(interval_s: float) -> Callable[[DispatchRuntime], Loop]:
    """Every ``interval_s`` seconds: read new directory versions, run the effects of those whose date came."""
    return periodic("directory_loop", interval_s, apply_due)
