"""Prometheus metrics every service shares (conventional names; no personal data or case ids as labels)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "caseflow_http_requests_total", "HTTP requests by route and status", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "caseflow_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_PRODUCED = Counter("caseflow_events_produced_total", "Events published by the relay", ["service", "event_type"])
EVENTS_CONSUMED = Counter(
    "caseflow_events_consumed_total",
    "Events consumed by type and outcome (applied/duplicate/dead_lettered)",
    ["service", "event_type", "outcome"],
)
CONSUMER_BATCH = Histogram(
    "caseflow_consumer_batch_records",
    "Records in each fetched batch a consumer applied in one transaction",
    ["service"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
CONSUMER_LAG = Gauge("caseflow_consumer_lag", "Messages behind the partition end", ["service", "topic", "partition"])
DLQ_MESSAGES = Counter(
    "caseflow_dlq_messages_total", "Messages sent to the dead-letter topic, by reason", ["service", "topic", "reason"]
)
EVENTS_UNKNOWN = Counter(
    "caseflow_events_unknown_total",
    "Events of a type that does not belong on the topic they came on (wrong_topic / unknown_type)",
    ["service", "topic", "kind"],
)
EVENTS_REJECTED = Counter(
    "caseflow_events_rejected_total",
    "Events refused as forged or from a producer that may not write the topic (bad_signature/producer_not_allowed)",
    ["service", "topic", "reason"],
)
CONSUMER_TRANSIENT = Counter(
    "caseflow_consumer_transient_failures_total",
    "Batches put back because a dependency (database, broker) was unavailable",
    ["service"],
)
CONSUMER_BACKOFF = Gauge(
    "caseflow_consumer_backoff_seconds", "Current back-off of the consumer (0 when healthy)", ["service"]
)
BROKER_RESETS = Counter(
    "caseflow_broker_resets_total",
    "Times the service found the broker without its topics or their data, and repaired it",
    ["service", "reason"],
)
REPUBLISHED = Counter("caseflow_outbox_republished_total", "Outbox rows marked for publishing again", ["service"])
TOPICS_MISSING = Gauge("caseflow_topics_missing", "Topics the service needs that the broker lacks", ["service"])
OUTBOX_BACKLOG = Gauge("caseflow_outbox_backlog", "Unsent outbox rows", ["service"])
OUTBOX_OLDEST_AGE = Gauge("caseflow_outbox_oldest_age_seconds", "Age of the oldest unsent outbox row", ["service"])
RELAY_ERRORS = Counter("caseflow_relay_errors_total", "Relay publish failures", ["service"])
