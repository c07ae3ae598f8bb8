"""dispatch's Prometheus metrics (defined once; no personal data or case ids as labels)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CASES_DISPATCHED = Counter(
    "caseflow_cases_dispatched_total", "Routing decisions by target kind and reason", ["target_kind", "reason"]
)
DISPATCH_LATENCY = Histogram(
    "caseflow_dispatch_latency_seconds",
    "From intake's acceptance of a case (受理, CaseReceived) to its first routing decision",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
CASES_BY_STATE = Gauge("caseflow_cases_by_state", "Cases in dispatch's view by state", ["state"])
CASE_ACTIONS = Counter("caseflow_case_actions_total", "Department and coordination actions applied", ["action"])
