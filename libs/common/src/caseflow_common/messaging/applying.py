"""Applying a fetched batch (the records of one fetch, of every partition it read, each partition's in order),
idempotently (ARCHITECTURE.md rule 6): the half of the consumer that touches the
database. ``EventConsumer`` (consumer.py) fetches, commits offsets and follows rebalances; this applies.

Parse and check every envelope before anything acts on it (unparseable, not allowed on this topic, unknown version,
invalid payload -> DLQ with the reason); then one transaction for the batch: skip event ids applied before, apply each
handler, record the applied ids, commit. If anything in the batch fails, the batch is applied message by message so a
poison message gets its own dead letter and its neighbours still apply. A transient failure (database or broker
unavailable) raises ``TransientFailure`` and dead-letters nothing; a permanent one goes to the DLQ.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Generic, TypeVar

import orjson
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from caseflow_common import metrics
from caseflow_common.events import Envelope, UnknownEvent
from caseflow_common.failures import TransientFailure, is_transient
from caseflow_common.logging import case_id_var, correlation_id_var
from caseflow_common.messaging.admission import Admission, Rejected
from caseflow_common.messaging.dead_letters import dead_letter_record
from caseflow_common.uow import UnitOfWork

log = logging.getLogger(__name__)

UowT = TypeVar("UowT", bound=UnitOfWork)
CtxT = TypeVar("CtxT")

# A reaction to one event: the envelope (``env.payload_as(Model)`` gives the typed payload), the service's unit of
# work, and the service's context. Services list theirs as ``HANDLERS = {CaseReceived: on_case_received, ...}``.
Handler = Callable[[Envelope, UowT, CtxT], Awaitable[None]]
Record = tuple[str, int, int, bytes | None, bytes | None]


class PermanentError(Exception):
    """A handler's verdict that a message can never be applied (it goes to the DLQ, not retried)."""


class BatchApplier(Generic[UowT, CtxT]):
    def __init__(
        self,
        *,
        service: str,
        consumer_name: str,
        handlers: Mapping[str, Handler[UowT, CtxT]],
        uow_factory: Callable[[], UowT],
        context: CtxT,
        admission: Admission,
        producer: AIOKafkaProducer,
        dlq_topic: str,
        clock: Callable[[], datetime],
        retries: int,
    ) -> None:
        self.service, self.consumer_name, self.handlers, self.uow_factory = (
            service,
            consumer_name,
            handlers,
            uow_factory,
        )
        self.context, self.admission, self.producer, self.dlq_topic = context, admission, producer, dlq_topic
        self.clock, self.retries = clock, retries

    def check(self, topic: str, env: Envelope) -> Handler[UowT, CtxT] | None:
        """The handler for ``env``, None when this service does not react to it; ``Rejected`` when it can never be
        applied here: unsigned or forged, from a producer that may not write this topic, not an event of this topic,
        a version this build does not know, or an invalid payload."""
        if not self.admission.admit(topic, env):
            return None
        handler = self.handlers.get(env.event_type)
        if handler is None:
            return None
        try:
            env.typed()
        except ValidationError as exc:
            raise Rejected("invalid_payload", str(exc)) from exc
        return handler

    async def process_batch(self, records: list[Record]) -> None:
        """Apply a batch in one transaction; if anything in it fails, apply it message by message,
        so one poison message costs its own dead letter, never its neighbours' effects. Raises
        ``TransientFailure`` (nothing dead-lettered) when a dependency is unavailable."""
        ready: list[tuple[Record, Envelope, Handler[UowT, CtxT]]] = []
        for rec in records:
            try:
                env = Envelope.from_bytes(rec[4] or b"")
            except (ValueError, ValidationError, orjson.JSONDecodeError) as exc:
                await self._dead_letter(rec, "unparseable", f"unparseable envelope: {exc}", None)
                continue
            try:
                handler = self.check(rec[0], env)
            except Rejected as exc:
                await self._dead_letter(rec, exc.reason, exc.detail, env)
                continue
            if handler is None:
                metrics.EVENTS_CONSUMED.labels(self.service, env.event_type, "ignored").inc()
                continue
            ready.append((rec, env, handler))
        if not ready:
            return
        try:
            outcomes = await self._apply_together([(env, handler) for _, env, handler in ready])
        except Exception as exc:
            if is_transient(exc):
                raise TransientFailure(f"{type(exc).__name__}: {exc}") from exc
            log.info("batch apply failed; applying one by one", extra={"error": f"{type(exc).__name__}: {exc}"})
            for rec, env, handler in ready:
                await self._process_one(rec, env, handler)
            return
        for env, outcome in outcomes:
            metrics.EVENTS_CONSUMED.labels(self.service, env.event_type, outcome).inc()

    async def process(self, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None) -> None:
        """Apply one message on its own (the same checks and outcomes as a batch of one)."""
        await self.process_batch([(topic, partition, offset, key, value)])

    async def _apply_together(self, items: list[tuple[Envelope, Handler[UowT, CtxT]]]) -> list[tuple[Envelope, str]]:
        outcomes: list[tuple[Envelope, str]] = []
        async with self.uow_factory() as uow:
            seen = await uow.processed_among([str(env.event_id) for env, _ in items])
            await uow.prepare([env for env, _ in items if str(env.event_id) not in seen])
            for env, handler in items:
                event_id = str(env.event_id)
                if event_id in seen:
                    outcomes.append((env, "duplicate"))
                    continue
                case_token, corr_token = case_id_var.set(env.case_id), correlation_id_var.set(env.correlation_id)
                try:
                    await handler(env, uow, self.context)
                finally:
                    case_id_var.reset(case_token)
                    correlation_id_var.reset(corr_token)
                await uow.mark_processed(event_id, self.consumer_name)
                seen.add(event_id)
                outcomes.append((env, "applied"))
            await uow.commit()
        return outcomes

    async def _process_one(self, rec: Record, env: Envelope, handler: Handler[UowT, CtxT]) -> None:
        case_token = case_id_var.set(env.case_id)
        corr_token = correlation_id_var.set(env.correlation_id)
        try:
            outcome = await self._apply_with_retries(env, handler)
        except (PermanentError, UnknownEvent, ValidationError, ValueError) as exc:
            await self._dead_letter(rec, "handler_refused", f"{type(exc).__name__}: {exc}", env)
            outcome = "dead_lettered"
        finally:
            case_id_var.reset(case_token)
            correlation_id_var.reset(corr_token)
        metrics.EVENTS_CONSUMED.labels(self.service, env.event_type, outcome).inc()

    async def _apply_with_retries(self, env: Envelope, handler: Handler[UowT, CtxT]) -> str:
        attempt = 0
        while True:
            try:
                return await self._apply(env, handler)
            except (PermanentError, UnknownEvent, ValidationError, ValueError):
                raise
            except Exception as exc:
                if is_transient(exc):
                    raise TransientFailure(f"{type(exc).__name__}: {exc}") from exc
                attempt += 1
                if attempt > self.retries:  # a bug the message triggers every time: park it, keep the partition moving
                    raise PermanentError(f"failed {attempt} times: {type(exc).__name__}: {exc}") from exc
                log.warning("handler failed; retrying", extra={"attempt": attempt, "error": str(exc)})
                await asyncio.sleep(0.05 * 2**attempt)

    async def _apply(self, env: Envelope, handler: Handler[UowT, CtxT]) -> str:
        event_id = str(env.event_id)
        async with self.uow_factory() as uow:
            if await uow.already_processed(event_id):
                return "duplicate"
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

    async def _dead_letter(self, rec: Record, reason: str, detail: str, env: Envelope | None) -> None:
        topic, partition, offset, key, value = rec
        record = dead_letter_record(
            reason=reason, detail=detail, consumer=self.consumer_name, source=rec, env=env, at=self.clock()
        )
        try:
            await self.producer.send_and_wait(self.dlq_topic, orjson.dumps(record), key=key)
        except Exception as exc:  # the broker is down: not the message's fault, retry the batch later
            raise TransientFailure(f"dead-letter topic unavailable: {exc}") from exc
        metrics.DLQ_MESSAGES.labels(self.service, topic, reason).inc()
        log.error(
            "message dead-lettered",
            extra={
                "source_topic": topic,
                "partition": partition,
                "offset": offset,
                "reason": reason,
                "detail": detail[:300],
            },
        )
