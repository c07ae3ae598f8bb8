"""Idempotent batch consumer: at-least-once in, exactly-once effect (ARCHITECTURE.md rule 6).

For each message: parse the envelope (failure -> DLQ); in one transaction skip it if its ``event_id`` was
applied before, else apply the handler and record the ``event_id``; commit. Offsets are committed only after
the messages before them are durably applied. A message that cannot be applied goes to the DLQ with the reason.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from caseflow_common import metrics
from caseflow_common.events import Envelope, UnknownEvent
from caseflow_common.logging import case_id_var, correlation_id_var
from caseflow_common.uow import UnitOfWork

log = logging.getLogger(__name__)

UowT = TypeVar("UowT", bound=UnitOfWork)
CtxT = TypeVar("CtxT")

# A reaction to one event: the envelope (``env.payload_as(Model)`` gives the typed payload), the service's unit of
# work, and the service's context. Services list theirs as ``HANDLERS = {CaseReceived: on_case_received, ...}``.
Handler = Callable[[Envelope, UowT, CtxT], Awaitable[None]]
Record = tuple[str, int, int, bytes | None, bytes | None]


def _records(messages: Iterable[Any]) -> list[Record]:
    return [(m.topic, m.partition, m.offset, m.key, m.value) for m in messages]


class PermanentError(Exception):
    """A handler's verdict that a message can never be applied (it goes to the DLQ, not retried)."""


class _Listener(ConsumerRebalanceListener):
    def __init__(self, owner: EventConsumer[Any, Any]) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.owner._lock:  # let the batch in hand finish, then hand its offsets over
            await self.owner._commit_offsets()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}:{tp.partition}" for tp in assigned)})


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
        batch: int = 200,
        retries: int = 3,
        session_timeout_ms: int = 2000,
        rebalance_timeout_ms: int = 2000,
    ) -> None:
        self.service, self.topics, self.group_id, self.bootstrap = service, topics, group_id, bootstrap
        self.handlers, self.uow_factory, self.producer, self.dlq_topic = handlers, uow_factory, producer, dlq_topic
        self.context = context
        self.clock, self.batch, self.retries = clock, batch, retries
        # Tansu holds a JoinGroup for the whole rebalance timeout; a short one keeps start-up and rebalances quick.
        self.session_timeout_ms, self.rebalance_timeout_ms = session_timeout_ms, rebalance_timeout_ms
        self._lock = asyncio.Lock()
        self._pending: dict[TopicPartition, int] = {}
        self.consumer: AIOKafkaConsumer | None = None
        self.consumer_name = f"{service}:{group_id}"

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            client_id=self.consumer_name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(100, self.session_timeout_ms // 5),
            max_poll_interval_ms=300000,
            rebalance_timeout_ms=self.rebalance_timeout_ms,
        )
        self.consumer.subscribe(self.topics, listener=_Listener(self))
        await self.consumer.start()

    async def stop(self) -> None:
        if self.consumer is not None:
            async with self._lock:
                await self._commit_offsets()
            await self.consumer.stop()
            self.consumer = None

    async def run(self, stop: asyncio.Event) -> None:
        if self.consumer is None:
            raise RuntimeError("start() first")
        while not stop.is_set():
            try:
                batches = await self.consumer.getmany(timeout_ms=200, max_records=self.batch)
            except KafkaError:
                log.exception("fetch failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if not batches:
                continue
            async with self._lock:
                for tp, messages in batches.items():
                    await self.process_batch(_records(messages))
                    self._pending[tp] = messages[-1].offset + 1
                await self._commit_offsets()
            self._measure_lag(batches.keys())

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

    def _measure_lag(self, tps: Iterable[TopicPartition]) -> None:
        if self.consumer is None:
            return
        for tp in tps:
            try:
                high = self.consumer.highwater(tp)
                pos = self._pending.get(tp)
                if high is not None:
                    position = pos if pos is not None else high
                    metrics.CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(max(0, high - position))
            except Exception:
                pass

    async def process_batch(self, records: list[Record]) -> None:
        """Apply a partition's batch in one transaction; if anything in it fails, apply it message by message,
        so one poison message costs its own retries and dead letter, never its neighbours' effects."""
        parsed: list[tuple[Record, Envelope]] = []
        for rec in records:
            try:
                parsed.append((rec, Envelope.from_bytes(rec[4] or b"")))
            except (ValueError, ValidationError, orjson.JSONDecodeError) as exc:
                await self._dead_letter(*rec, f"unparseable envelope: {exc}", None)
        if not parsed:
            return
        try:
            outcomes = await self._apply_together([env for _, env in parsed])
        except Exception as exc:
            log.info("batch apply failed; applying one by one", extra={"error": f"{type(exc).__name__}: {exc}"})
            for rec, _ in parsed:
                await self.process(*rec)
            return
        for env, outcome in outcomes:
            metrics.EVENTS_CONSUMED.labels(self.service, env.event_type, outcome).inc()

    async def _apply_together(self, envs: list[Envelope]) -> list[tuple[Envelope, str]]:
        outcomes: list[tuple[Envelope, str]] = []
        async with self.uow_factory() as uow:
            seen = await uow.processed_among([str(e.event_id) for e in envs])
            for env in envs:
                event_id = str(env.event_id)
                handler = self.handlers.get(env.event_type)
                if handler is None:
                    outcomes.append((env, "ignored"))
                    continue
                if event_id in seen:
                    outcomes.append((env, "duplicate"))
                    continue
                case_token, corr_token = case_id_var.set(env.case_id), correlation_id_var.set(env.correlation_id)
                try:
                    env.typed()  # validated against its registered contract before anything acts on it
                    await handler(env, uow, self.context)
                finally:
                    case_id_var.reset(case_token)
                    correlation_id_var.reset(corr_token)
                await uow.mark_processed(event_id, self.consumer_name)
                seen.add(event_id)
                outcomes.append((env, "applied"))
            await uow.commit()
        return outcomes

    async def process(self, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None) -> str:
        """Apply one message; returns the outcome (applied / duplicate / ignored / dead_lettered)."""
        try:
            env = Envelope.from_bytes(value or b"")
        except (ValueError, ValidationError, orjson.JSONDecodeError) as exc:
            await self._dead_letter(topic, partition, offset, key, value, f"unparseable envelope: {exc}", None)
            return "dead_lettered"
        handler = self.handlers.get(env.event_type)
        if handler is None:
            metrics.EVENTS_CONSUMED.labels(self.service, env.event_type, "ignored").inc()
            return "ignored"
        case_token = case_id_var.set(env.case_id)
        corr_token = correlation_id_var.set(env.correlation_id)
        try:
            outcome = await self._apply_with_retries(env, handler)
        except (PermanentError, UnknownEvent, ValidationError, ValueError) as exc:
            await self._dead_letter(topic, partition, offset, key, value, f"{type(exc).__name__}: {exc}", env)
            outcome = "dead_lettered"
        finally:
            case_id_var.reset(case_token)
            correlation_id_var.reset(corr_token)
        metrics.EVENTS_CONSUMED.labels(self.service, env.event_type, outcome).inc()
        return outcome

    async def _apply_with_retries(self, env: Envelope, handler: Handler[UowT, CtxT]) -> str:
        attempt = 0
        while True:
            try:
                return await self._apply(env, handler)
            except (PermanentError, UnknownEvent, ValidationError, ValueError):
                raise
            except Exception as exc:
                attempt += 1
                if attempt > self.retries:
                    raise PermanentError(f"failed {attempt} times: {type(exc).__name__}: {exc}") from exc
                log.warning("handler failed; retrying", extra={"attempt": attempt, "error": str(exc)})
                await asyncio.sleep(0.05 * 2**attempt)

    async def _apply(self, env: Envelope, handler: Handler[UowT, CtxT]) -> str:
        event_id = str(env.event_id)
        async with self.uow_factory() as uow:
            if await uow.already_processed(event_id):
                return "duplicate"
            env.typed()
            await handler(env, uow, self.context)
            await uow.mark_processed(event_id, self.consumer_name)
            try:
                await uow.commit()
            except IntegrityError:
                # Another replica applied the same event_id first (unfenced stale member): no second effect.
                if await self._seen_elsewhere(event_id):
                    return "duplicate"
                raise
        return "applied"

    async def _seen_elsewhere(self, event_id: str) -> bool:
        async with self.uow_factory() as uow:
            return await uow.already_processed(event_id)

    async def _dead_letter(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        reason: str,
        env: Envelope | None,
    ) -> None:
        record = {
            "reason": reason[:2000],
            "consumer": self.consumer_name,
            "source_topic": topic,
            "partition": partition,
            "offset": offset,
            "key": key.decode(errors="replace") if key else None,
            "event_id": str(env.event_id) if env else None,
            "event_type": env.event_type if env else None,
            "value_b64": base64.b64encode(value or b"").decode(),
            "dead_lettered_at": self.clock().isoformat(),
        }
        await self.producer.send_and_wait(self.dlq_topic, orjson.dumps(record), key=key)
        metrics.DLQ_MESSAGES.labels(self.service, topic).inc()
        log.error("message dead-lettered", extra={"source_topic": topic, "offset": offset, "reason": reason[:300]})
