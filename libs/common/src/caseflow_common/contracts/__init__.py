"""Versioned payload models, one module per producing service; importing this package registers them all.

Each module's events travel on its producer's topic only; ``event_types_on`` is that allowlist, so a consumer can tell
an event that does not belong on a topic (dead-lettered) from one it simply does not react to.
"""

from __future__ import annotations

from caseflow_common import topics
from caseflow_common.contracts import dispatch, escalation, intake
from caseflow_common.events import Payload, known_events

# The topic each producing service writes, by the contracts module that defines its events.
PRODUCER_TOPICS: dict[str, str] = {
    intake.__name__: topics.INTAKE,
    dispatch.__name__: topics.DISPATCH,
    escalation.__name__: topics.ESCALATION,
}


def producer_of(topic: str) -> str | None:
    """The one service that may publish on ``topic`` (a base topic name): the owner of the contracts module."""
    owners = {t: module.rsplit(".", 1)[-1] for module, t in PRODUCER_TOPICS.items() if module.startswith(__name__)}
    return owners.get(topic)


def topic_of(model: type[Payload]) -> str:
    """The topic an event model travels on (its producer's)."""
    return PRODUCER_TOPICS[model.__module__]


def event_types_on(topic: str) -> frozenset[str]:
    """Every registered event type that belongs on ``topic`` (a base topic name, without a prefix)."""
    return frozenset(m.event_type for m in known_events().values() if PRODUCER_TOPICS.get(m.__module__) == topic)


__all__ = ["PRODUCER_TOPICS", "dispatch", "escalation", "event_types_on", "intake", "producer_of", "topic_of"]
