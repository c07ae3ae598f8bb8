"""Idempotent batch consumer: at-least-once in, exactly-once effect (ARCHITECTURE.md rule 6).

This half fetches: each fetch's records (every partition in it) are applied as one batch (``applying.BatchApplier``: checked, one transaction,
message by message when something in it fails), then the offsets are committed. Two kinds of failure are never
confused: a **transient** one (database or broker unavailable, a timeout) stops the consumer, which backs off with
jitter and retries the same batch without committing, and never dead-letters it; a **permanent** one goes to the DLQ.
Rebalances hand over what was applied; the lag of every assigned partition is measured here.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Generic

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from caseflow_common import metrics
from caseflow_common.failures import TransientFailure
from caseflow_common.messaging.admission import DLQ_REASONS, Admission
from caseflow_common.messaging.applying import BatchApplier, CtxT, Handler, PermanentError, Record, UowT
from caseflow_common.messaging.kafka import PLAINTEXT
from caseflow_common.signing import Keyring

__all__ = ["CtxT", "EventConsumer", "Handler", "PermanentError", "Record", "UowT"]

log = logging.getLogger(__name__)

BACKOFF_MIN_S, BACKOFF_MAX_S = 0.2, 15.0
# How long one fetch waits for records: getmany returns as soon as records are there, so this only bounds how often
# an idle consumer wakes (and how long stop() waits for the loop).
POLL_MS = 1000


def _records(messages: Iterable[Any]) -> list[Record]:
    return [(m.topic, m.partition, m.offset, m.key, m.value) for m in messages]


class _Listener(ConsumerRebalanceListener):
    def __init__(self, owner: EventConsumer[Any, Any]) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.owner._lock:  # let the batch in hand finish, then hand its offsets over
            await self.owner._commit_offsets()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}:{tp.partition}" for tp in assigned)})
        if assigned and self.owner.consumer is not None and self.owner.rewinding():
            # The broker lost its data and the group rejoined since: the offsets it holds (our own, committed to it
            # before the loss was noticed) point into the old log. Read from the start again.
            await self.owner.consumer.seek_to_beginning(*assigned)
            log.warning("partitions assigned after a broker loss: read from the start", extra={"n": len(assigned)})


class EventConsumer(Generic[UowT, CtxT]):
    def __init__(
        self,
        *,
        service: str,
        topics: list[str],
        group_id: str,
        bootstrap: str,
        handlers: Mapping[str, Handler[UowT, CtxT]],
        uow_factory: Callable[[], UowT],
        context: CtxT,
        producer: AIOKafkaProducer,
        dlq_topic: str,
        clock: Callable[[], datetime],
        allowed: Mapping[str, frozenset[str]] | None = None,
        keyring: Keyring | None = None,
        topic_producers: Mapping[str, str] | None = None,
        batch: int = 200,
        retries: int = 3,
        session_timeout_ms: int = 2000,
        rebalance_timeout_ms: int = 2000,
        security: Mapping[str, Any] = PLAINTEXT,
        lag_refresh_s: float = 10.0,
        fetcher_wake_ms: int = 1000,
    ) -> None:
        self.service, self.topics, self.group_id, self.bootstrap = service, topics, group_id, bootstrap
        self.security = security  # client_security(settings): SASL/TLS keyword arguments of the Kafka client
        self.handlers, self.uow_factory, self.producer, self.dlq_topic = handlers, uow_factory, producer, dlq_topic
        self.context, self.clock, self.batch, self.retries = context, clock, batch, retries
        # What is checked before any handler: signature and topic ownership, the topic's event types, the version.
        self.admission = Admission(service, keyring, topic_producers or {}, allowed)
        # Tansu holds a JoinGroup for the whole rebalance timeout; a short one keeps start-up and rebalances quick.
        self.session_timeout_ms, self.rebalance_timeout_ms = session_timeout_ms, rebalance_timeout_ms
        self._lock = asyncio.Lock()
        self._pending: dict[TopicPartition, int] = {}
        self.consumer: AIOKafkaConsumer | None = None
        self.consumer_name = f"{service}:{group_id}"
        self.applier = BatchApplier(
            service=service,
            consumer_name=self.consumer_name,
            handlers=handlers,
            uow_factory=uow_factory,
            context=context,
            admission=self.admission,
            producer=producer,
            dlq_topic=dlq_topic,
            clock=clock,
            retries=retries,
        )
        self.backoff_s = 0.0  # > 0 while a dependency is unavailable (readiness reports it)
        self._rewind_until = 0.0  # loop time until which a new assignment also reads from the start
        self.lag: dict[TopicPartition, int] = {}
        self.lag_refresh_s, self._lag_due = lag_refresh_s, 0.0
        self.fetcher_wake_ms = fetcher_wake_ms

    def _precreate_series(self) -> None:
        """Every label set an alert watches exists from the start at 0, so rate()/increase() see the first dead
        letter (a counter born at 1 has no increase to show)."""
        for topic in self.topics:
            for reason in DLQ_REASONS:
                metrics.DLQ_MESSAGES.labels(self.service, topic, reason)
            for reason in ("bad_signature", "producer_not_allowed"):
                metrics.EVENTS_REJECTED.labels(self.service, topic, reason)
        metrics.CONSUMER_TRANSIENT.labels(self.service)
        metrics.CONSUMER_BACKOFF.labels(self.service).set(0)

    async def start(self) -> None:
        self._precreate_series()
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            client_id=self.consumer_name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(100, self.session_timeout_ms // 3),
            max_poll_interval_ms=300000,
            rebalance_timeout_ms=self.rebalance_timeout_ms,
            consumer_timeout_ms=self.fetcher_wake_ms,
            **self.security,
        )
        self.consumer.subscribe(self.topics, listener=_Listener(self))
        await self.consumer.start()

    async def stop(self) -> None:
        """Commit what was applied, leave the group, close."""
        if self.consumer is not None:
            async with self._lock:
                await self._commit_offsets()
            await self.consumer.stop()
            self.consumer = None

    async def rewind(self) -> None:
        """Read every assigned partition again from its start (after the broker lost its data); event ids make
        the repeat harmless."""
        if self.consumer is None:
            return
        async with self._lock:
            self._pending.clear()
            # The rebalance the broker loss causes may come after this (the group is gone from the broker, members
            # rejoin): partitions assigned within a few rebalance rounds from now are read from the start as well.
            rounds_s = 3 * (self.session_timeout_ms + self.rebalance_timeout_ms) / 1000
            self._rewind_until = asyncio.get_running_loop().time() + rounds_s
            assigned = list(self.consumer.assignment())
            if assigned:
                await self.consumer.seek_to_beginning(*assigned)
        log.warning("consumer rewound to the start of its partitions", extra={"partitions": len(assigned)})

    def rewinding(self) -> bool:
        """Whether a rewind (a broker that lost its data) is recent enough to apply to a new assignment too."""
        return asyncio.get_running_loop().time() < self._rewind_until

    async def positions(self) -> dict[TopicPartition, int]:
        """The next offset to read of every assigned partition."""
        if self.consumer is None:
            return {}
        out: dict[TopicPartition, int] = {}
        for tp in list(self.consumer.assignment()):
            try:
                out[tp] = await asyncio.wait_for(self.consumer.position(tp), timeout=1)
            except Exception:
                continue
        return out

    async def run(self, stop: asyncio.Event) -> None:
        if self.consumer is None:
            raise RuntimeError("start() first")
        while not stop.is_set():
            try:
                batches = await self.consumer.getmany(timeout_ms=POLL_MS, max_records=self.batch)
            except KafkaError:
                log.exception("fetch failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if not batches:
                await self._refresh_lag()  # also while nothing arrives (paused, or a backlog it cannot fetch)
                continue
            failed = False
            async with self._lock:
                # One transaction for the whole fetch, every partition in it (each partition's records in their
                # order): a consumer of three topics of three partitions each commits once per fetch, not up to
                # nine times.
                records = [rec for messages in batches.values() for rec in _records(messages)]
                metrics.CONSUMER_BATCH.labels(self.service).observe(len(records))
                try:
                    await self.process_batch(records)
                except TransientFailure as exc:
                    failed = True
                    for tp, messages in batches.items():  # a dependency is down: read them again later
                        self.consumer.seek(tp, messages[0].offset)
                    metrics.CONSUMER_TRANSIENT.labels(self.service).inc()
                    log.warning("dependency unavailable; batch will be retried", extra={"error": str(exc)})
                else:
                    for tp, messages in batches.items():
                        self._pending[tp] = messages[-1].offset + 1
                await self._commit_offsets()
            await self._refresh_lag()  # between batches: where it stands is what it committed
            if failed:
                self.backoff_s = min(BACKOFF_MAX_S, max(BACKOFF_MIN_S, self.backoff_s * 2))
                metrics.CONSUMER_BACKOFF.labels(self.service).set(self.backoff_s)
                # Full jitter: replicas that failed together do not come back together.
                try:
                    await asyncio.wait_for(stop.wait(), timeout=random.uniform(self.backoff_s / 2, self.backoff_s))
                except TimeoutError:
                    pass
            elif self.backoff_s:
                self.backoff_s = 0.0
                metrics.CONSUMER_BACKOFF.labels(self.service).set(0)

    async def _commit_offsets(self) -> None:
        if not self._pending or self.consumer is None:
            return
        offsets, self._pending = dict(self._pending), {}
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # A rebalance took the partitions (e.g. UNKNOWN_MEMBER_ID); the new owner re-reads from the
            # last committed offset and the event_id check makes the repeat harmless.
            log.warning("offset commit failed after rebalance; messages will be redelivered", extra={"error": str(exc)})
        except KafkaError as exc:
            log.warning("offset commit failed; messages will be redelivered", extra={"error": str(exc)})

    async def _refresh_lag(self) -> None:
        if asyncio.get_running_loop().time() >= self._lag_due:
            await self._measure_lag()
            self._lag_due = asyncio.get_running_loop().time() + self.lag_refresh_s

    async def _measure_lag(self) -> None:
        """The lag of every assigned partition as the broker sees it: its end offset (asked of the broker, so a
        partition nothing is fetched from counts too) minus where this consumer stands, which is its committed
        offset between batches. Partitions this replica no longer owns leave the gauge (another replica reports them).
        """
        if self.consumer is None:
            return
        assigned = list(self.consumer.assignment())
        try:
            ends = await asyncio.wait_for(self.consumer.end_offsets(assigned), timeout=5) if assigned else {}
        except Exception as exc:  # the broker is unavailable: keep the last figures; the next refresh tries again
            log.debug("end offsets unavailable; lag not refreshed", extra={"error": f"{type(exc).__name__}: {exc}"})
            return
        positions = await self.positions()
        lag = {tp: max(0, ends[tp] - positions[tp]) for tp in assigned if tp in ends and tp in positions}
        for tp in set(self.lag) - set(assigned):
            try:
                metrics.CONSUMER_LAG.remove(self.service, tp.topic, str(tp.partition))
            except KeyError:
                pass
        self.lag = lag
        for tp, behind in lag.items():
            metrics.CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(behind)

    async def process_batch(self, records: list[Record]) -> None:
        """Apply a fetched batch (``BatchApplier.process_batch``)."""
        await self.applier.process_batch(records)

    async def process(self, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None) -> None:
        """Apply one message on its own (the same checks and outcomes as a batch of one)."""
        await self.applier.process_batch([(topic, partition, offset, key, value)])
