"""Prometheus metrics of the escalation service (dashboards and alerts are built on these names)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

from caseflow_common.contracts.escalation import Rung

SLA_WARNINGS = Counter("caseflow_sla_warnings_total", "催办 warnings issued at a clock's warning fraction", ["unit"])
SLA_BREACHES = Counter("caseflow_sla_breaches_total", "Clocks that ran out unmet", ["unit"])
SUPERVISION_ACTIONS = Counter("caseflow_supervision_actions_total", "Supervision actions issued by rung", ["rung"])
CLOCKS_OPEN = Gauge("caseflow_clocks_open", "Clocks not yet met")
PROVISIONAL_DEADLINES = Gauge(
    "caseflow_provisional_deadlines", "Open clocks whose deadline rests on a year with no published calendar"
)
SCHEDULER_PASS = Histogram(
    "caseflow_scheduler_pass_seconds",
    "Duration of one scheduler pass",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PATTERN_WARNINGS = Counter("caseflow_pattern_warnings_total", "Pattern warnings raised by kind", ["kind"])


def precreate(units: Iterable[str]) -> None:
    """Every unit's warning and breach series and every rung's series exist at 0 from the start, so an alert's
    increase() sees the first breach of a unit (a series born at 1 shows no increase). ``none``: a clock without a
    unit."""
    for unit in (*units, "none"):
        SLA_WARNINGS.labels(unit)
        SLA_BREACHES.labels(unit)
    for rung in Rung:
        SUPERVISION_ACTIONS.labels(rung.value)
