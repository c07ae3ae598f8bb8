"""A named lease in a service's own database: at most one holder (replica) until it expires.

Used wherever exactly one replica must do a periodic job: the outbox relay (per-key order), audit's anchors.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class Lease:
    """A named lease in the service's database: at most one holder until it expires."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        name: str,
        ttl: timedelta,
        clock: Callable[[], datetime],
        holder: str | None = None,
    ) -> None:
        self.sessions, self.table, self.name, self.ttl, self.clock = sessions, table, name, ttl, clock
        self.holder = holder or uuid.uuid4().hex
        self._held_until: datetime | None = None

    async def acquire(self) -> bool:
        """True while this holder has the lease; renews it in the database once half its time is used."""
        now = self.clock()
        if self._held_until is not None and now < self._held_until - self.ttl / 2:
            return True  # still well inside our own lease: no write (a write would contend with the service)
        self._held_until = None
        t = self.table
        async with self.sessions() as s:
            res = await s.execute(
                update(t)
                .where(t.c.name == self.name)
                .where((t.c.holder == self.holder) | (t.c.until < now))
                .values(holder=self.holder, until=now + self.ttl)
            )
            if getattr(res, "rowcount", 0) == 0:  # a CursorResult: UPDATE reports the rows it matched
                exists = (await s.execute(select(t.c.name).where(t.c.name == self.name))).first()
                if exists:
                    await s.rollback()
                    return False
                try:
                    await s.execute(insert(t).values(name=self.name, holder=self.holder, until=now + self.ttl))
                except IntegrityError:
                    await s.rollback()
                    return False
            await s.commit()
            self._held_until = now + self.ttl
            return True

    async def release(self) -> None:
        self._held_until = None
        t = self.table
        async with self.sessions() as s:
            await s.execute(delete(t).where(t.c.name == self.name).where(t.c.holder == self.holder))
            await s.commit()
