"""Prometheus metrics of the audit service (no case ids or personal data as labels)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RECORD_ENTRIES = Counter("caseflow_record_entries_total", "Entries appended to case records, by loop step", ["step"])
CHAIN_VERIFICATION_FAILURES = Counter(
    "caseflow_chain_verification_failures_total", "Case chains found broken by a verification"
)
ORIGIN_VERIFICATION_FAILURES = Counter(
    "caseflow_record_origin_failures_total", "Case records found with an entry whose proof of origin does not hold"
)
LOOPS_OPEN = Gauge("caseflow_loops_open", "Cases whose closed loop is not complete")
ANCHOR_AGE = Gauge("caseflow_anchor_age_seconds", "Seconds since the latest anchor over all case heads")
EVENTS_HELD = Gauge("caseflow_record_events_held", "Events waiting for their cause before they are recorded")
