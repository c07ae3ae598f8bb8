"""Admission: what a consumer checks of an envelope before any handler sees it (ARCHITECTURE.md rules 3, 6, 6a).

In order: the signature and the key's producer (it must be the envelope's and own the topic), the event type
belongs on the topic, the version is known. A refusal is a ``Rejected`` with the DLQ's machine-readable reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from caseflow_common import metrics
from caseflow_common.events import Envelope, known_events, payload_model
from caseflow_common.signing import BadSignature, Keyring

# Every reason a consumer dead-letters a message for (docs/operations.md §8).
DLQ_REASONS = (
    "unparseable",
    "bad_signature",
    "producer_not_allowed",
    "wrong_topic",
    "unknown_event_type",
    "unknown_version",
    "invalid_payload",
    "handler_refused",
)


class Rejected(Exception):
    """An envelope refused before any handler saw it; ``reason`` is the DLQ's machine-readable reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def _registered(event_type: str) -> bool:
    return any(t == event_type for t, _ in known_events())


@dataclass(frozen=True)
class Admission:
    """One consumer's checks. ``keyring`` None: signatures not required (a throwaway test service); ``allowed``
    None: any registered event type on any topic."""

    service: str
    keyring: Keyring | None = None
    topic_producers: Mapping[str, str] = field(default_factory=dict)
    allowed: Mapping[str, frozenset[str]] | None = None

    def admit(self, topic: str, env: Envelope) -> bool:
        """True when a handler may look at ``env``; False for an event type nobody registered on a topic without an
        allowlist (ignored); ``Rejected`` when it can never be applied here."""
        if self.keyring is not None:
            try:
                producer = self.keyring.producer_of(env)
            except BadSignature as exc:
                metrics.EVENTS_REJECTED.labels(self.service, topic, "bad_signature").inc()
                raise Rejected("bad_signature", str(exc)) from exc
            owner = self.topic_producers.get(topic)
            if producer != env.producer or (owner is not None and producer != owner):
                metrics.EVENTS_REJECTED.labels(self.service, topic, "producer_not_allowed").inc()
                raise Rejected("producer_not_allowed", f"{producer} (as {env.producer}) may not publish on {topic}")
        allowed = self.allowed.get(topic) if self.allowed is not None else None
        if allowed is not None and env.event_type not in allowed:
            known = _registered(env.event_type)
            metrics.EVENTS_UNKNOWN.labels(self.service, topic, "wrong_topic" if known else "unknown_type").inc()
            raise Rejected("wrong_topic" if known else "unknown_event_type", f"{env.event_type} on {topic}")
        if payload_model(env.event_type, env.version) is None:
            if allowed is None and not _registered(env.event_type):
                metrics.EVENTS_UNKNOWN.labels(self.service, topic, "unknown_type").inc()
                return False  # a consumer without an allowlist ignores types it has never heard of
            raise Rejected("unknown_version", f"{env.event_type} v{env.version}")
        return True
