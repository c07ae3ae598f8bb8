"""intake's Prometheus metrics (no personal data, no case ids as labels)."""

from __future__ import annotations

from prometheus_client import Counter

CASES_RECEIVED = Counter("caseflow_cases_received_total", "Reports that became cases, by channel", ["channel"])
REPORTS_REJECTED = Counter(
    "caseflow_reports_rejected_total", "Reports refused, by reason (invalid, malformed, conflict)", ["reason"]
)
CASES_MERGED = Counter("caseflow_cases_merged_total", "Repeat requests linked to an open case (并单)")
VISITS = Counter("caseflow_visits_total", "Return visits recorded, by satisfaction", ["satisfaction"])
RATE_LIMITED = Counter(
    "caseflow_rate_limited_total", "Requests refused with 429 by a per-client limit, by route", ["service", "route"]
)
