"""SQL of the record: chain heads, appends, held events, loop rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from audit.domain.chain import COLUMNS, ChainEntry
from audit.orm import entries, heads, held, loops

CHAIN_COLUMNS = [entries.c[name] for name in COLUMNS]


def upsert(session: AsyncSession, table: Table) -> Any:
    """INSERT ... ON CONFLICT builder of the session's dialect (SQLite and PostgreSQL spell it alike)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _head_stub(case_id: str, last_seq: int, head_hash: str) -> ChainEntry:
    # next_entry reads only seq and hash of the head it extends.
    return ChainEntry(last_seq, case_id, "", "", None, "", "", None, "", "", head_hash)


class RecordRepository:
    """The append-only record: nothing here updates or deletes an entry."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def head(self, case_id: str) -> ChainEntry | None:
        """The case's chain head, locked for this transaction where the database can (appends to a case serialise)."""
        row = (
            await self.session.execute(
                select(heads.c.last_seq, heads.c.head_hash).where(heads.c.case_id == case_id).with_for_update()
            )
        ).first()
        return None if row is None else _head_stub(case_id, row.last_seq, row.head_hash)

    async def recorded(self, event_id: str) -> bool:
        """Whether the event is in some case's record."""
        found = await self.session.execute(select(entries.c.id).where(entries.c.event_id == event_id))
        return found.first() is not None

    async def append(
        self, entry: ChainEntry, *, recorded_at: datetime, cause_missing: bool, origin: Mapping[str, Any]
    ) -> None:
        """Insert the entry with its origin columns and move its case's head (a racing writer fails on the unique
        head / seq)."""
        await self.session.execute(
            insert(entries).values(**entry._asdict(), **origin, recorded_at=recorded_at, cause_missing=cause_missing)
        )
        if entry.seq == 1:
            await self.session.execute(
                insert(heads).values(case_id=entry.case_id, last_seq=1, head_hash=entry.hash, anchored_seq=None)
            )
        else:
            await self.session.execute(
                update(heads).where(heads.c.case_id == entry.case_id).values(last_seq=entry.seq, head_hash=entry.hash)
            )

    async def chain(self, case_id: str, columns: Sequence[Any] = CHAIN_COLUMNS) -> list[tuple[Any, ...]]:
        """The case's entries in seq order, as verify_chain reads them (the chain's columns first)."""
        rows = await self.session.execute(select(*columns).where(entries.c.case_id == case_id).order_by(entries.c.seq))
        return [tuple(r) for r in rows]

    async def entries_of(self, case_id: str) -> list[Any]:
        """Every column of the case's entries in seq order."""
        rows = await self.session.execute(select(entries).where(entries.c.case_id == case_id).order_by(entries.c.seq))
        return list(rows)

    async def loop_inputs(self, case_id: str) -> list[Any]:
        """(event_type, at, payload) of the case's entries in seq order."""
        rows = await self.session.execute(
            select(entries.c.event_type, entries.c.at, entries.c.payload)
            .where(entries.c.case_id == case_id)
            .order_by(entries.c.seq)
        )
        return list(rows)

    # --- held events -------------------------------------------------------------------------------------------

    async def is_held(self, event_id: str) -> bool:
        """Whether the event waits for its cause."""
        return (
            await self.session.execute(select(held.c.event_id).where(held.c.event_id == event_id))
        ).first() is not None

    async def hold(
        self, event_id: str, case_id: str, causation_id: str, envelope: str, at: datetime, signed_digest: str
    ) -> None:
        """Keep the event (stripped) and the digest of its payload as it arrived until its cause is recorded."""
        await self.session.execute(
            insert(held).values(
                event_id=event_id,
                case_id=case_id,
                causation_id=causation_id,
                envelope=envelope,
                held_at=at,
                signed_digest=signed_digest,
            )
        )

    async def release_waiting_on(self, cause_id: str) -> list[tuple[str, str | None]]:
        """Take the events that wait for `cause_id` (oldest first); returns (stored envelope, payload digest)."""
        rows = (
            await self.session.execute(
                select(held.c.event_id, held.c.envelope, held.c.signed_digest)
                .where(held.c.causation_id == cause_id)
                .order_by(held.c.held_at)
            )
        ).all()
        if rows:
            await self.session.execute(delete(held).where(held.c.event_id.in_([r.event_id for r in rows])))
        return [(r.envelope, r.signed_digest) for r in rows]

    async def release(self, event_id: str) -> tuple[str, str | None] | None:
        """Take one held event (stored envelope, payload digest); None when someone else took it first."""
        row = (
            await self.session.execute(select(held.c.envelope, held.c.signed_digest).where(held.c.event_id == event_id))
        ).first()
        if row is None:
            return None
        await self.session.execute(delete(held).where(held.c.event_id == event_id))
        return row.envelope, row.signed_digest

    async def held_before(self, cutoff: datetime, limit: int) -> list[str]:
        """Ids of events held since before `cutoff`, oldest first."""
        rows = await self.session.execute(
            select(held.c.event_id).where(held.c.held_at <= cutoff).order_by(held.c.held_at).limit(limit)
        )
        return [r.event_id for r in rows]

    async def held_count(self) -> int:
        """How many events wait for their cause."""
        return (await self.session.execute(select(func.count()).select_from(held))).scalar_one()


class LoopRepository:
    """The loop status row of each case."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save(
        self, case_id: str, *, complete: bool, missing: list[str], cycle: int, closed_at: datetime | None, now: datetime
    ) -> None:
        """Insert or replace the case's loop status."""
        values = {
            "complete": complete,
            "missing": ",".join(missing),
            "cycle": cycle,
            "closed_at": closed_at,
            "updated_at": now,
        }
        stmt = upsert(self.session, loops).values(case_id=case_id, **values)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=[loops.c.case_id], set_=values))

    async def open_count(self) -> int:
        """Cases whose loop is not complete."""
        return (
            await self.session.execute(select(func.count()).select_from(loops).where(loops.c.complete.is_(False)))
        ).scalar_one()

    async def open_page(
        self, *, step: str | None, closed_before: datetime | None, overdue_cutoff: datetime, offset: int, limit: int
    ) -> tuple[int, list[Any]]:
        """A page of open loops (by case id), optionally only those missing `step` / closed before a time."""
        where: list[ColumnElement[bool]] = [loops.c.complete.is_(False)]
        if step is not None:
            where.append(loops.c.missing.contains(step))
        if closed_before is not None:
            where.append(loops.c.closed_at <= closed_before)
        total = (await self.session.execute(select(func.count()).select_from(loops).where(*where))).scalar_one()
        rows = await self.session.execute(
            select(loops, (loops.c.closed_at <= overdue_cutoff).label("overdue"))
            .where(*where)
            .order_by(loops.c.case_id)
            .offset(offset)
            .limit(limit)
        )
        return total, list(rows)
