"""Broker guard: notices a broker that lost its topics or their data, and repairs it (ARCHITECTURE.md rule 6b).

The embedded broker keeps everything in memory, so a restart comes back empty; a real cluster can lose a topic to an
operator. Every few seconds the guard reads the topics' metadata and end offsets. It repairs when

- a topic the service needs is missing (``missing``): it is created again with its partition count, before the relay
  publishes to it (the relay waits while topics are missing, so the broker never auto-creates one with its own
  default partition count);
- a partition ends before an offset already seen there (``emptied``): its end offset went down, or the service's own
  topic ends before what the broker acknowledged to this relay.

Repair: topics created, every outbox row sent within the retention window marked unsent (the relay publishes it
again, in id order), the consumer rewound to the start of its partitions. Consumers drop what they applied before
by ``event_id``, so repeating is always safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from caseflow_common import metrics
from caseflow_common.messaging.kafka import PLAINTEXT, ensure_topics
from caseflow_common.messaging.outbox import OutboxRelay

log = logging.getLogger(__name__)


@dataclass
class TopicState:
    """What the guard saw on its last look."""

    missing: list[str] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)
    checked_at: datetime | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.missing and self.error is None


class BrokerGuard:
    def __init__(
        self,
        *,
        service: str,
        bootstrap: str,
        topics: dict[str, int],
        own_topic: str | None,
        relay: OutboxRelay,
        rewind: Callable[[], Any],
        create: bool,
        replication: int,
        window: timedelta,
        clock: Callable[[], datetime],
        interval_s: float = 2.0,
        security: Mapping[str, Any] = PLAINTEXT,
    ) -> None:
        self.service, self.bootstrap, self.topics, self.own_topic = service, bootstrap, topics, own_topic
        self.security = security  # client_security(settings), for the watermark reader and topic creation
        self.relay, self.rewind, self.create, self.replication = relay, rewind, create, replication
        self.window, self.clock, self.interval_s = window, clock, interval_s
        self.state = TopicState()
        self._seen: dict[TopicPartition, int] = {}  # highest end offset seen per partition
        self._client: AIOKafkaConsumer | None = None
        self.repairs = 0
        for reason in ("missing", "emptied"):  # the series exist at 0 before the first repair (alerts see it)
            metrics.BROKER_RESETS.labels(service, reason)
        metrics.TOPICS_MISSING.labels(service).set(0)

    async def _watermarks(self) -> tuple[set[str], dict[TopicPartition, int]]:
        if self._client is None:
            self._client = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                group_id=None,
                enable_auto_commit=False,
                client_id=f"caseflow-{self.service}-guard",
                **self.security,
            )
            await asyncio.wait_for(self._client.start(), timeout=5)
        existing = await asyncio.wait_for(self._client.topics(), timeout=5)
        # The client's own metadata dates from its start: a topic created since is unknown to it (no partitions),
        # so such a topic is read at its expected partition count (reading its end offsets teaches the client).
        tps = [
            TopicPartition(t, p)
            for t in self.topics
            if t in existing
            for p in sorted(self._client.partitions_for_topic(t) or range(self.topics[t]))
        ]
        ends = await asyncio.wait_for(self._client.end_offsets(tps), timeout=5) if tps else {}
        return set(existing), {tp: int(off) for tp, off in ends.items()}

    async def check(self) -> TopicState:
        """Look at the broker once; repair what was lost."""
        # What the relay had acknowledged before the end offsets are read: acks arriving meanwhile are beyond them.
        acked = dict(self.relay.acked)
        try:
            existing, ends = await self._watermarks()
        except Exception as exc:
            if self.state.error is None:
                log.warning("broker check failed; the relay waits", extra={"error": f"{type(exc).__name__}: {exc}"})
            self.state = TopicState(error=f"{type(exc).__name__}: {exc}", checked_at=self.clock())
            await self._close()  # a fresh client next time (the old one may hold a dead connection)
            return self.state
        missing = sorted(t for t in self.topics if t not in existing)
        emptied = sorted({tp.topic for tp, end in ends.items() if end < self._seen.get(tp, 0)})
        if self.own_topic is not None:
            for (topic, partition), offset in acked.items():
                if topic == self.own_topic and ends.get(TopicPartition(topic, partition), offset + 1) <= offset:
                    emptied = sorted({*emptied, topic})
        self.state = TopicState(missing=missing, emptied=emptied, checked_at=self.clock())
        metrics.TOPICS_MISSING.labels(self.service).set(len(missing))
        if missing or emptied:
            await self.repair(missing, emptied)
            return self.state
        for tp, end in ends.items():
            self._seen[tp] = max(end, self._seen.get(tp, 0))
        return self.state

    async def repair(self, missing: list[str], emptied: list[str]) -> None:
        reason = "missing" if missing else "emptied"
        log.error("broker lost topics or their data; repairing", extra={"missing": missing, "emptied": emptied})
        if missing and self.create:
            partitions = max(self.topics[t] for t in missing)
            await ensure_topics(
                self.bootstrap,
                missing,
                partitions=partitions,
                replication=self.replication,
                attempts=5,
                security=self.security,
            )
        republished = await self.relay.republish(since=self.clock() - self.window)
        self.relay.acked.clear()
        self._seen.clear()
        result = self.rewind()
        if asyncio.iscoroutine(result):
            await result
        self.repairs += 1
        metrics.BROKER_RESETS.labels(self.service, reason).inc()
        self.state = TopicState(missing=[] if self.create else missing, checked_at=self.clock())
        metrics.TOPICS_MISSING.labels(self.service).set(len(self.state.missing))
        log.warning("broker repaired", extra={"republished": republished, "reason": reason})

    async def startup_check(self) -> None:
        """At start: an own topic with nothing in it while the outbox has sent rows means the broker lost them."""
        try:
            _, ends = await self._watermarks()
        except Exception:
            return
        if self.own_topic is None:
            return
        own = [end for tp, end in ends.items() if tp.topic == self.own_topic]
        if own and sum(own) == 0 and await self.relay.sent_since(self.clock() - self.window) > 0:
            await self.repair([], [self.own_topic])

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("broker check failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
            except TimeoutError:
                pass
        await self._close()

    async def _close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            try:
                await asyncio.wait_for(client.stop(), timeout=5)
            except Exception:
                pass
