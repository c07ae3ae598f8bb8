"""ServiceRuntime wires what every service runs: engine + migrations, topics, producer, outbox relay, consumer,
extra background loops; ``create_app`` puts a FastAPI app around it. Built in ``bootstrap``, never at import time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Generic

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI
from sqlalchemy import MetaData

from caseflow_common import contracts, db, topics
from caseflow_common.auth import TokenCodec
from caseflow_common.docs_ui import install_cors, install_docs
from caseflow_common.errors import BodySizeLimit, install_error_handlers
from caseflow_common.events import Payload, utcnow
from caseflow_common.http import MetricsMiddleware, ops_router
from caseflow_common.messaging.consumer import CtxT, EventConsumer, Handler, UowT
from caseflow_common.messaging.guard import BrokerGuard
from caseflow_common.messaging.kafka import broker_reachable, client_security, ensure_topics, new_producer
from caseflow_common.messaging.outbox import OutboxRelay
from caseflow_common.messaging.tables import messaging_tables
from caseflow_common.settings import CommonSettings
from caseflow_common.signing import Keyring, Signer

log = logging.getLogger(__name__)

Loop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class ServiceSpec(Generic[UowT, CtxT]):
    """What makes a service itself: its tables, topics, unit of work, event reactions and background loops.

    Generic over the service's unit of work and its context (the reference data and policies it was built with), so
    handlers, loops and routes get both typed.
    """

    name: str
    metadata: MetaData
    migrations: Path | None  # None only for throwaway test services: tables are created from metadata
    own_topic: str | None
    uow_class: type[UowT]
    consumes: Sequence[str] = ()
    handlers: Mapping[type[Payload], Handler[UowT, CtxT]] = field(default_factory=dict)
    loops: Sequence[Callable[[ServiceRuntime[UowT, CtxT]], Loop]] = ()
    readiness_extra: Callable[[ServiceRuntime[UowT, CtxT]], dict[str, Any]] | None = None


def signing_of(settings: CommonSettings, *, producing: bool) -> tuple[Signer | None, Keyring | None]:
    """The service's signer (when it publishes) and the keyring its consumer verifies with (when signatures are
    required). A producing service without a signing key refuses to start: events must prove their origin."""
    signer: Signer | None = None
    secret = settings.signing_secret()
    if producing and secret:
        signer = Signer.from_secret(settings.signing_key_id or f"{settings.service_name}-1", secret)
    elif producing and settings.require_signed_events:
        raise ValueError(
            f"{settings.service_name} publishes events but has no signing key: set CASEFLOW_SIGNING_KEY or "
            "CASEFLOW_SIGNING_KEY_FILE (the embedded default writes dev keys under var/keys)"
        )
    keyring = Keyring.from_public(settings.trusted_key_entries()) if settings.require_signed_events else None
    return signer, keyring


class ServiceRuntime(Generic[UowT, CtxT]):
    """One service's running parts; ``context`` is the service's own typed context (set once, by bootstrap)."""

    def __init__(
        self,
        spec: ServiceSpec[UowT, CtxT],
        settings: CommonSettings,
        context: CtxT,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.spec, self.settings, self.context, self.clock = spec, settings, context, clock
        tables = spec.metadata.tables
        if "outbox" not in tables:
            messaging_tables(spec.metadata)
        self.outbox, self.processed, self.leases = tables["outbox"], tables["processed_events"], tables["leases"]
        self.engine = db.make_engine(
            settings.database_url, pool_size=settings.database_pool_size, sqlite_driver=settings.sqlite_driver
        )
        self.probe_engine = db.make_probe_engine(settings.database_url, timeout_s=settings.readiness_timeout_s)
        self.sessions = db.session_factory(self.engine)
        self.token_codec = TokenCodec(settings.auth_secret, require_expiry=settings.env != "dev")
        self.signer, self.keyring = signing_of(settings, producing=spec.own_topic is not None)
        self.producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self.guard: BrokerGuard | None = None
        self.consumer: EventConsumer[UowT, CtxT] | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def topic(self, name: str) -> str:
        return self.settings.topic(name)

    @functools.cached_property
    def kafka_security(self) -> dict[str, Any]:
        """The SASL/TLS keyword arguments every Kafka client of this service connects with (producer, consumer,
        admin, broker guard; the readiness probe uses the producer's). Read at first use, so ``migrate`` needs no
        TLS files."""
        return client_security(self.settings)

    def uow(self) -> UowT:
        return self.spec.uow_class(
            self.sessions,
            outbox=self.outbox,
            processed=self.processed,
            topic=self.topic(self.spec.own_topic) if self.spec.own_topic else "",
            clock=self.clock,
            signer=self.signer,
            on_commit=self.relay.notify if self.relay is not None else None,
        )

    async def start(self, *, workers: bool | None = None) -> None:
        s = self.settings
        if self.spec.migrations is not None:
            await db.migrate(self.engine, self.spec.migrations)
        else:
            async with self.engine.begin() as conn:
                await conn.run_sync(self.spec.metadata.create_all)
        if s.create_topics:
            await ensure_topics(
                s.kafka_bootstrap,
                [self.topic(t) for t in topics.ALL],
                partitions=s.topic_partitions,
                replication=s.topic_replication,
                security=self.kafka_security,
            )
        producer = new_producer(
            s.kafka_bootstrap,
            idempotence=s.kafka_idempotence,
            client_id=f"caseflow-{self.spec.name}",
            security=self.kafka_security,
        )
        try:
            await producer.start()
        except BaseException:
            await producer.stop()  # refused (unreachable broker, wrong credentials): leave no client behind
            raise
        self.producer = producer
        self.relay = OutboxRelay(
            service=self.spec.name,
            sessions=self.sessions,
            outbox=self.outbox,
            leases=self.leases,
            producer=producer,
            clock=self.clock,
            batch=s.relay_batch,
            interval_s=s.relay_interval_s,
            idle_s=s.relay_idle_poll_s,
            retention=timedelta(hours=s.outbox_retention_hours),
            processed=self.processed,
            processed_retention=timedelta(days=s.processed_retention_days),
        )
        needed = [*([self.spec.own_topic] if self.spec.own_topic else []), *self.spec.consumes, topics.DLQ]
        self.guard = BrokerGuard(
            service=self.spec.name,
            bootstrap=s.kafka_bootstrap,
            topics={self.topic(t): s.topic_partitions for t in dict.fromkeys(needed)},
            own_topic=self.topic(self.spec.own_topic) if self.spec.own_topic else None,
            relay=self.relay,
            rewind=self._rewind,
            create=s.create_topics,
            replication=s.topic_replication,
            window=timedelta(hours=s.outbox_retention_hours),
            clock=self.clock,
            interval_s=s.broker_check_interval_s,
            security=self.kafka_security,
        )
        guard = self.guard
        # The relay waits while topics are missing or the guard cannot see the broker: what it publishes after an
        # outage must not fill a topic the broker lost before the guard has compared it with what it saw before.
        self.relay.may_publish = lambda: guard.state.ok
        if s.run_workers if workers is None else workers:
            await self.start_workers()

    async def start_workers(self) -> None:
        if self.relay is None or self.producer is None:
            raise RuntimeError("start() first")
        self._stop.clear()
        if self.guard is not None:
            await self.guard.startup_check()
            self._spawn(self.guard.run(self._stop), "broker-guard")
        self._spawn(self.relay.run(self._stop), "relay")
        if self.engine.dialect.name == "postgresql":  # other replicas' commits wake this relay too
            dsn = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._spawn(self.relay.listen(dsn, self._stop), "relay-listener")
        if self.spec.consumes:
            s = self.settings
            self.consumer = EventConsumer(
                service=self.spec.name,
                topics=[self.topic(t) for t in self.spec.consumes],
                group_id=s.group_id,
                bootstrap=s.kafka_bootstrap,
                handlers={model.event_type: h for model, h in self.spec.handlers.items()},
                uow_factory=self.uow,
                context=self.context,
                producer=self.producer,
                allowed={
                    self.topic(t): contracts.event_types_on(t)
                    for t in self.spec.consumes
                    if t in contracts.PRODUCER_TOPICS.values()
                },
                keyring=self.keyring,
                topic_producers={
                    self.topic(t): owner for t in self.spec.consumes if (owner := contracts.producer_of(t)) is not None
                },
                dlq_topic=self.topic(topics.DLQ),
                clock=self.clock,
                batch=s.consumer_batch,
                session_timeout_ms=s.consumer_session_timeout_ms,
                rebalance_timeout_ms=s.consumer_rebalance_timeout_ms,
                security=self.kafka_security,
                lag_refresh_s=s.consumer_lag_refresh_s,
                fetcher_wake_ms=s.consumer_fetcher_wake_ms,
            )
            await self.consumer.start()
            self._spawn(self.consumer.run(self._stop), "consumer")
        for make_loop in self.spec.loops:
            self._spawn(make_loop(self)(self._stop), getattr(make_loop, "__name__", "loop"))

    async def _rewind(self) -> None:
        if self.consumer is not None:
            await self.consumer.rewind()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=f"{self.spec.name}-{name}")
        task.add_done_callback(self._on_task_done)
        self._tasks.append(task)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("background task died", exc_info=task.exception(), extra={"task": task.get_name()})

    def draining(self) -> None:
        """The server begins to shut down and drains its open requests: a hook for services whose answers last
        (called on the event loop, before ``stop``)."""

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=5)
            except (TimeoutError, Exception, asyncio.CancelledError):  # a task that ended cancelled stops too
                task.cancel()
        self._tasks.clear()
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None
        await self.engine.dispose()
        await self.probe_engine.dispose()

    async def readiness(self) -> dict[str, Any]:
        """/readyz: database, broker and topics, each answered within the readiness timeout; never raises.
        A consumer behind the end of its topics is ready and says so ("catching_up", with its lag)."""
        timeout = self.settings.readiness_timeout_s
        checks: dict[str, Any] = {}
        try:
            await asyncio.wait_for(db.ping(self.probe_engine), timeout=timeout)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            producer = self.producer
            reachable = producer is not None and await asyncio.wait_for(broker_reachable(producer), timeout=timeout)
        except Exception:
            reachable = False
        checks["broker"] = "ok" if reachable else "unreachable"
        if self.guard is not None and self.guard.state.checked_at is not None:
            st = self.guard.state
            checks["topics"] = "ok" if not st.missing else {"missing": st.missing}
        if self.relay is not None and self.relay.last_backlog is not None:
            backlog, age = self.relay.last_backlog  # measured by the relay itself: readiness never waits on the pool
            checks["outbox"] = {"backlog": backlog, "oldest_age_seconds": round(age, 3)}
        if self.consumer is not None:
            lag = sum(self.consumer.lag.values())
            state = "backing_off" if self.consumer.backoff_s else ("catching_up" if lag else "current")
            checks["consumer"] = {"state": state, "lag": lag, "backoff_seconds": self.consumer.backoff_s}
        ready = checks["database"] == "ok" and checks["broker"] == "ok" and checks.get("topics", "ok") == "ok"
        if self.spec.readiness_extra is not None:
            try:
                checks.update(self.spec.readiness_extra(self))
            except Exception as exc:
                checks["extra"] = f"unavailable: {type(exc).__name__}"
        return {"ready": ready, "service": self.spec.name, "checks": checks}


def create_app(
    runtime: ServiceRuntime[Any, Any],
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    manage_runtime: bool = True,
) -> FastAPI:
    """The service's FastAPI app: error shape, body limit, metrics, health routes, the service's routers."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_runtime:
            await runtime.start()
        try:
            yield
        finally:
            if manage_runtime:
                await runtime.stop()

    app = FastAPI(
        title=title, description=description, version="1.0.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    install_docs(app, title)
    install_cors(app, runtime.settings.cors_allow_origins, dev=runtime.settings.env == "dev")
    app.state.runtime = runtime
    app.state.token_codec = runtime.token_codec
    install_error_handlers(app, retry_after_s=runtime.settings.retry_after_s)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, service=runtime.spec.name)
    app.include_router(ops_router())
    for router in routers:
        app.include_router(router)
    return app
