"""Unit of work: the only place that commits. State changes and the events they cause go in one transaction.

async with uow_factory() as uow:
    ...                       # repositories use uow.session
    uow.emit(envelope)        # goes to the outbox in the same transaction
    uow.after_commit(counter.inc)  # runs only once the transaction committed (a retried batch counts once)
    await uow.commit()        # without commit, everything rolls back
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Self

from sqlalchemy import Select, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.schema import Table

from caseflow_common.db import on_postgres
from caseflow_common.events import Envelope
from caseflow_common.messaging.outbox import notify_relays
from caseflow_common.signing import Signer

# processed_among's statement per table of processed events.
_PROCESSED_AMONG: dict[Table, Select[Any]] = {}


class UnitOfWork:
    """Base unit of work; services subclass it to attach their repositories in ``_on_enter``."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        outbox: Table,
        processed: Table,
        topic: str,
        clock: Callable[[], datetime],
        signer: Signer | None = None,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessions, self._outbox, self._processed = sessions, outbox, processed
        self.topic, self.clock, self.signer, self._on_commit = topic, clock, signer, on_commit
        self.session: AsyncSession
        self._pending: list[Envelope] = []
        self._processed_rows: list[dict[str, Any]] = []
        self._after_commit: list[Callable[[], object]] = []
        self._before_commit: list[Callable[[], Awaitable[None]]] = []
        self.committed_events: list[Envelope] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._pending = []
        self._processed_rows = []
        self._after_commit = []
        self._before_commit = []
        self._on_enter()
        return self

    def _on_enter(self) -> None:
        """Hook for subclasses: build repositories on ``self.session``."""

    async def read_snapshot(self) -> None:
        """Make this unit of work's reads one consistent view of the database: a view assembled from several
        statements (a case's row with its change number, then its clocks, then its supervision) never mixes states
        from before and after another transaction's commit. Call it before the first statement.

        PostgreSQL's default READ COMMITTED gives each statement a snapshot of its own, so the transaction becomes
        REPEATABLE READ (one snapshot for all its statements). On SQLite the session holds the one pooled connection
        from its first statement to its end, so no commit comes between its reads: nothing to do."""
        if on_postgres(self.session):
            await self.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    def after_commit(self, action: Callable[[], object]) -> None:
        """Run ``action`` once this transaction has committed, never if it rolls back or the commit fails: what
        observes the transaction's effects (a counter's increment) counts each effect once, however often a failed
        batch is retried."""
        self._after_commit.append(action)

    async def prepare(self, envelopes: Sequence[Envelope]) -> None:
        """Hook for subclasses: before a consumed batch is applied, load in a few set-based statements what its
        handlers will read (the events not applied before, in order). Nothing by default."""

    def before_commit(self, flush: Callable[[], Awaitable[None]]) -> None:
        """Run ``flush`` at commit, before anything is written there (work a batch does once, not once per event)."""
        self._before_commit.append(flush)

    def emit(self, envelope: Envelope) -> None:
        self._pending.append(envelope)

    def emit_all(self, envelopes: Iterable[Envelope]) -> None:
        """Many events at once (a scheduler tick's actions); written to the outbox in one statement at commit."""
        self._pending.extend(envelopes)

    async def already_processed(self, event_id: str) -> bool:
        row = await self.session.execute(
            select(self._processed.c.event_id).where(self._processed.c.event_id == event_id)
        )
        return row.first() is not None

    async def processed_among(self, event_ids: list[str]) -> set[str]:
        """Which of these event ids were applied before (one query for a whole batch)."""
        if not event_ids:
            return set()
        if (stmt := _PROCESSED_AMONG.get(self._processed)) is None:  # built once per table: the ids are a parameter
            col = self._processed.c.event_id
            stmt = _PROCESSED_AMONG[self._processed] = select(col).where(col.in_(bindparam("ids", expanding=True)))
        rows = await self.session.execute(stmt, {"ids": event_ids})
        return {r[0] for r in rows}

    async def mark_processed(self, event_id: str, consumer: str) -> None:
        """Record an applied event id; written at commit, in the same transaction, in one statement."""
        self._processed_rows.append({"event_id": event_id, "consumer": consumer, "processed_at": self.clock()})

    async def commit(self) -> None:
        while self._before_commit:
            await self._before_commit.pop(0)()
        if self._pending and not self.topic:
            raise RuntimeError("this service publishes no events (no own topic)")
        if self._pending:
            now = self.clock()
            if self.signer is not None:
                for env in self._pending:
                    self.signer.sign(env)
            await self.session.execute(
                insert(self._outbox),
                [
                    {
                        "event_id": str(e.event_id),
                        "topic": self.topic,
                        "key": e.case_id,
                        "event_type": e.event_type,
                        "payload": e.to_bytes(),
                        "created_at": now,
                    }
                    for e in self._pending
                ],
            )
            await notify_relays(self.session)  # every replica's relay hears of them at commit (PostgreSQL)
        if self._processed_rows:
            await self.session.execute(insert(self._processed), self._processed_rows)
        await self.session.commit()
        self.committed_events, self._pending, self._processed_rows = self._pending, [], []
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()
        if self.committed_events and self._on_commit is not None:
            self._on_commit()  # the relay publishes now rather than at its next poll
