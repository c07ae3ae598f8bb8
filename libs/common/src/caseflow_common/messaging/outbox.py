"""Outbox relay: publishes committed outbox rows to Kafka in id order, then marks them sent.

One relay is active per database at a time (a lease row), so per-key order holds with several replicas.
A crash between publish and mark-sent publishes those rows again; consumers drop them by ``event_id``.

The relay wakes when outbox rows are committed: in-process at once (the unit of work calls ``notify``), and on
PostgreSQL from any replica too (each committing transaction sends ``NOTIFY caseflow_outbox``, the relay listens on
a connection of its own). The idle poll is the fallback for a missed notification.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from sqlalchemy import Table, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from caseflow_common import metrics
from caseflow_common.db import on_postgres
from caseflow_common.lease import Lease

log = logging.getLogger(__name__)

# The PostgreSQL channel a unit of work notifies when it commits outbox rows (each service has its own database).
NOTIFY_CHANNEL = "caseflow_outbox"
_NOTIFY = text(f"NOTIFY {NOTIFY_CHANNEL}")


async def notify_relays(session: AsyncSession) -> None:
    """In the transaction that makes outbox rows sendable: on PostgreSQL every replica's relay is told at commit
    (LISTEN/NOTIFY, delivered only if the transaction commits); elsewhere the committing process wakes its own."""
    if on_postgres(session):
        await session.execute(_NOTIFY)


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        leases: Table,
        producer: AIOKafkaProducer,
        clock: Callable[[], datetime],
        batch: int = 500,
        interval_s: float = 0.05,
        idle_s: float = 1.0,
        retention: timedelta = timedelta(hours=24),
        processed: Table | None = None,
        processed_retention: timedelta = timedelta(days=45),
    ) -> None:
        self.service, self.sessions, self.outbox, self.producer = service, sessions, outbox, producer
        self.clock, self.batch, self.interval_s, self.retention = clock, batch, interval_s, retention
        self.idle_s = idle_s  # poll at most this seldom when no commit woke the relay
        self.processed, self.processed_retention = processed, processed_retention
        self.lease = Lease(sessions, leases, "outbox-relay", timedelta(seconds=15), clock)
        # Fault-injection seam for tests: runs after the broker acked, before rows are marked sent.
        self.after_publish: Callable[[list[int]], Awaitable[None]] | None = None
        # Set by the broker guard: False while topics are missing (so the broker never auto-creates one) or the broker
        # cannot be seen.
        self.may_publish: Callable[[], bool] = lambda: True
        # Per (topic, partition), an offset the broker acknowledged holding: the first of the latest round published
        # there. The guard compares it with the broker's end offset, which is above it while the broker keeps its
        # data. (Not the highest offset: Tansu's end offset only counts a batch's first record, so it can sit at or
        # below the last offset it acknowledged while nothing is lost.)
        self.acked: dict[tuple[str, int], int] = {}
        self.last_backlog: tuple[int, float] | None = None
        self.wake = asyncio.Event()
        self.listening = False  # True while a PostgreSQL connection listens for other replicas' commits
        self._last_purge: datetime | None = None
        # A round (select, publish, mark sent) and a re-publish never interleave: rows the old broker acknowledged
        # are marked sent before the guard marks the window unsent, never after (they would be lost).
        self._round = asyncio.Lock()
        # The series the relay alerts watch exist at 0 from the start, so the first failure is an increase.
        metrics.RELAY_ERRORS.labels(service)
        metrics.REPUBLISHED.labels(service)

    async def run_once(self) -> int:
        """Publish one batch; returns how many rows were published (0 when idle or not the lease holder)."""
        if not self.may_publish() or not await self.lease.acquire():
            return 0
        async with self._round:
            return await self._publish_round()

    async def _publish_round(self) -> int:
        o = self.outbox
        async with self.sessions() as s:
            rows = (
                await s.execute(
                    select(o.c.id, o.c.topic, o.c.key, o.c.event_type, o.c.payload)
                    .where(o.c.sent_at.is_(None))
                    .order_by(o.c.id)
                    .limit(self.batch)
                )
            ).all()
        if not rows:
            await self.housekeeping()
            return 0
        # send() enqueues in order; one producer keeps per-partition order, so per-case order holds.
        futures = [
            await self.producer.send(r.topic, r.payload, key=r.key.encode(), headers=self._headers(r)) for r in rows
        ]
        first: dict[tuple[str, int], int] = {}
        for md in await asyncio.gather(*futures):
            tp = (md.topic, md.partition)
            first[tp] = min(md.offset, first.get(tp, md.offset))
        for tp, offset in first.items():
            self.acked[tp] = max(offset, self.acked.get(tp, -1))
        ids = [r.id for r in rows]
        if self.after_publish is not None:
            await self.after_publish(ids)
        async with self.sessions() as s:
            await s.execute(update(o).where(o.c.id.in_(ids)).values(sent_at=self.clock()))
            await s.commit()
        for r in rows:
            metrics.EVENTS_PRODUCED.labels(self.service, r.event_type).inc()
        return len(rows)

    def _headers(self, row: Any) -> list[tuple[str, bytes]]:
        """Record headers for consumers that route before parsing (docs/events/asyncapi.json)."""
        version = orjson.loads(row.payload).get("version", 1)
        return [
            ("event_type", row.event_type.encode()),
            ("version", str(version).encode()),
            ("producer", self.service.encode()),
            ("content-type", b"application/json"),
        ]

    async def republish(self, *, since: datetime) -> int:
        """Mark every row sent at or after ``since`` as unsent: the relay publishes them again, in id order.
        Safe at any time (consumers drop events they applied before by ``event_id``)."""
        from caseflow_common.operations import mark_unsent

        async with self._round:
            count = await mark_unsent(self.sessions, self.outbox, since=since)
        metrics.REPUBLISHED.labels(self.service).inc(count)
        log.warning("outbox rows marked for publishing again", extra={"rows": count, "since": since.isoformat()})
        return count

    async def sent_since(self, since: datetime) -> int:
        o = self.outbox
        async with self.sessions() as s:
            count = (await s.execute(select(func.count()).where(o.c.sent_at >= since))).scalar_one()
        return int(count)

    async def measure_backlog(self) -> tuple[int, float]:
        o = self.outbox
        async with self.sessions() as s:
            count, oldest = (
                await s.execute(select(func.count(), func.min(o.c.created_at)).where(o.c.sent_at.is_(None)))
            ).one()
        age = 0.0
        if oldest is not None:
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=self.clock().tzinfo)
            age = max(0.0, (self.clock() - oldest).total_seconds())
        self.last_backlog = (int(count), age)
        metrics.OUTBOX_BACKLOG.labels(self.service).set(count)
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(age)
        return count, age

    async def housekeeping(self, *, force: bool = False) -> None:
        """At most every 5 minutes, on the lease holder only: purge sent outbox rows past their retention, and
        processed event ids older than any redelivery can be (set it above the topics' retention)."""
        now = self.clock()
        if not force and self._last_purge and now - self._last_purge < timedelta(minutes=5):
            return
        self._last_purge = now
        async with self.sessions() as s:
            await s.execute(delete(self.outbox).where(self.outbox.c.sent_at < now - self.retention))
            if self.processed is not None:
                await s.execute(
                    delete(self.processed).where(self.processed.c.processed_at < now - self.processed_retention)
                )
            await s.commit()

    def notify(self) -> None:
        """A unit of work committed outbox rows: publish now instead of at the next idle poll."""
        self.wake.set()

    async def listen(self, dsn: str, stop: asyncio.Event) -> None:
        """PostgreSQL: wake on every commit of outbox rows in this database, whichever replica committed them (LISTEN
        on a connection of its own, reconnecting with back-off; what was committed while it was away is published at
        once after it listens again)."""
        import asyncpg

        backoff = 0.5
        while not stop.is_set():
            conn = None
            try:
                conn = await asyncio.wait_for(asyncpg.connect(dsn), timeout=10)
                await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self.wake.set())
                self.listening = True
                self.wake.set()
                backoff = 0.5
                while not stop.is_set() and not conn.is_closed():
                    await self._pause_for_error(stop, 5.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox notifications unavailable; polling meanwhile", extra={"error": str(exc)})
            finally:
                self.listening = False
                if conn is not None and not conn.is_closed():
                    try:
                        await asyncio.wait_for(conn.close(), timeout=2)
                    except Exception:
                        conn.terminate()
            if not stop.is_set():
                await self._pause_for_error(stop, backoff)
                backoff = min(backoff * 2, 30.0)

    async def _pause(self, stop: asyncio.Event, timeout: float) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    async def _pause_for_error(self, stop: asyncio.Event, backoff: float) -> None:
        try:
            await asyncio.wait_for(stop.wait(), timeout=backoff)
        except TimeoutError:
            pass

    async def run(self, stop: asyncio.Event) -> None:
        """Publish while there is something to publish; otherwise sleep until a commit wakes the relay (or the idle
        poll, for rows another replica committed, elapses). Idle, it costs next to nothing."""
        backoff = self.interval_s
        ticks = 0
        while not stop.is_set():
            self.wake.clear()  # commits from here on wake the pause below
            try:
                sent = await self.run_once()
                backoff = self.interval_s
                ticks += 1
                if ticks % 20 == 0:
                    await self.measure_backlog()
                if sent:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                metrics.RELAY_ERRORS.labels(self.service).inc()
                log.exception("outbox relay failed; retrying")
                backoff = min(backoff * 2 + 0.1, 5.0)
                await self._pause_for_error(stop, backoff)
                continue
            await self._pause(stop, self.idle_s)
        try:
            await self.lease.release()
        except Exception:
            pass
