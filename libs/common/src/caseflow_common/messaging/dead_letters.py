"""Dead letters: what a consumer parks on the DLQ topic, and the operator's replay once the cause is fixed.

A dead letter carries the machine-readable reason (``unparseable``, ``wrong_topic``, ``unknown_event_type``,
``unknown_version``, ``invalid_payload``, ``handler_refused``), the consumer that parked it, where it came from and
the original bytes, so ``python -m <service> dlq-replay`` can apply it again: event ids make a replay harmless.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from caseflow_common.events import Envelope


def dead_letter_record(
    *,
    reason: str,
    detail: str,
    consumer: str,
    source: tuple[str, int, int, bytes | None, bytes | None],
    env: Envelope | None,
    at: datetime,
) -> dict[str, Any]:
    topic, partition, offset, key, value = source
    return {
        "reason": reason,
        "detail": detail[:2000],
        "consumer": consumer,
        "source_topic": topic,
        "partition": partition,
        "offset": offset,
        "key": key.decode(errors="replace") if key else None,
        "event_id": str(env.event_id) if env else None,
        "event_type": env.event_type if env else None,
        "value_b64": base64.b64encode(value or b"").decode(),
        "dead_lettered_at": at.isoformat(),
    }


@dataclass(frozen=True)
class DeadLetter:
    """One parked message, as read back from the DLQ topic."""

    reason: str
    consumer: str
    source_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    event_id: str | None
    dead_lettered_at: str

    @classmethod
    def from_bytes(cls, raw: bytes) -> DeadLetter:
        d = orjson.loads(raw)
        key = d.get("key")
        return cls(
            reason=str(d.get("reason", "")).split(":", 1)[0],
            consumer=str(d.get("consumer", "")),
            source_topic=str(d.get("source_topic", "")),
            partition=int(d.get("partition", 0)),
            offset=int(d.get("offset", 0)),
            key=key.encode() if isinstance(key, str) else None,
            value=base64.b64decode(d.get("value_b64", "")),
            event_id=d.get("event_id"),
            dead_lettered_at=str(d.get("dead_lettered_at", "")),
        )
