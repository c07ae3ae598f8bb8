"""Open and provisional clocks, counted for the metrics and the /readyz detail."""

from __future__ import annotations

from escalation import metrics
from escalation.uow import EscalationRuntime


async def refresh_gauges(runtime: EscalationRuntime) -> None:
    """Count open and provisional clocks (metrics, /readyz detail); reads only, commits nothing."""
    async with runtime.uow() as uow:
        open_clocks, provisional = await uow.repo.open_counts()
    metrics.CLOCKS_OPEN.set(open_clocks)
    metrics.PROVISIONAL_DEADLINES.set(provisional)
    gauges = runtime.context.gauges
    gauges.open_clocks, gauges.provisional_deadlines = open_clocks, provisional
