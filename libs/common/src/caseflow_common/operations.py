"""Operator commands every service has (docs/operations.md): re-publish the outbox, replay dead letters.

    python -m <service> republish --since 2026-12-01T08:00:00+08:00   # after a broker lost its data
    python -m <service> dlq-replay [--reason unknown_version] [--dry-run]   # once a dead letter's cause is fixed

Both are safe to repeat: consumers drop events they applied before by ``event_id``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from caseflow_common import contracts, topics
from caseflow_common.messaging.consumer import EventConsumer
from caseflow_common.messaging.dead_letters import DeadLetter
from caseflow_common.messaging.kafka import PLAINTEXT, client_security, new_producer
from caseflow_common.messaging.outbox import notify_relays

log = logging.getLogger(__name__)


async def mark_unsent(sessions: async_sessionmaker[AsyncSession], outbox: Table, *, since: datetime) -> int:
    """Every outbox row sent at or after ``since`` becomes unsent again; the relay publishes it again, in id order."""
    async with sessions() as s:
        result = await s.execute(update(outbox).where(outbox.c.sent_at >= since).values(sent_at=None))
        await notify_relays(s)  # the running relays publish them at once, not at their next fallback poll
        await s.commit()
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class ReplayReport:
    read: int = 0
    mine: int = 0
    replayed: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)


async def read_dead_letters(
    bootstrap: str, dlq_topic: str, *, timeout_s: float = 10.0, security: Mapping[str, Any] = PLAINTEXT
) -> list[DeadLetter]:
    """Every dead letter on the DLQ topic, from its start to its end now (no consumer group, nothing committed)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **security)
    await reader.start()
    try:
        parts = reader.partitions_for_topic(dlq_topic) or set()
        if not parts:
            await reader.topics()
            parts = reader.partitions_for_topic(dlq_topic) or set()
        tps = [TopicPartition(dlq_topic, p) for p in sorted(parts)]
        if not tps:
            return []
        reader.assign(tps)
        await reader.seek_to_beginning(*tps)
        ends = await reader.end_offsets(tps)
        out: list[DeadLetter] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s

        async def behind() -> bool:
            return any([await reader.position(tp) < ends[tp] for tp in tps])

        while await behind() and loop.time() < deadline:
            for messages in (await reader.getmany(timeout_ms=500)).values():
                out.extend(DeadLetter.from_bytes(m.value) for m in messages if m.value)
        return out
    finally:
        await reader.stop()


async def replay_dead_letters(runtime: Any, *, reason: str | None = None, dry_run: bool = False) -> ReplayReport:
    """Apply again, through the service's own checks and handlers, the dead letters this service's consumer parked.
    A letter whose cause persists is parked again (with today's reason)."""
    s = runtime.settings
    report = ReplayReport()
    security = client_security(s)
    letters = await read_dead_letters(s.kafka_bootstrap, runtime.topic(topics.DLQ), security=security)
    consumer_name = f"{runtime.spec.name}:{s.group_id}"
    producer = new_producer(
        s.kafka_bootstrap, idempotence=s.kafka_idempotence, client_id=f"{consumer_name}-replay", security=security
    )
    await producer.start()
    try:
        consumer: EventConsumer[Any, Any] = EventConsumer(
            service=runtime.spec.name,
            topics=[runtime.topic(t) for t in runtime.spec.consumes],
            group_id=s.group_id,
            bootstrap=s.kafka_bootstrap,
            handlers={model.event_type: h for model, h in runtime.spec.handlers.items()},
            uow_factory=runtime.uow,
            context=runtime.context,
            producer=producer,
            dlq_topic=runtime.topic(topics.DLQ),
            clock=runtime.clock,
            allowed={
                runtime.topic(t): contracts.event_types_on(t)
                for t in runtime.spec.consumes
                if t in contracts.PRODUCER_TOPICS.values()
            },
            keyring=runtime.keyring,
            topic_producers={
                runtime.topic(t): owner
                for t in runtime.spec.consumes
                if (owner := contracts.producer_of(t)) is not None
            },
            security=security,
        )
        for letter in letters:
            report.read += 1
            if letter.consumer != consumer_name or (reason and letter.reason != reason):
                continue
            report.mine += 1
            report.by_reason[letter.reason] += 1
            if dry_run:
                continue
            rec = (letter.source_topic, letter.partition, letter.offset, letter.key, letter.value)
            await consumer.process(*rec)
            report.replayed += 1
    finally:
        await producer.stop()
    return report
