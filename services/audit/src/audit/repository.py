"""SQL of the record: chain heads, appends, held events, loop rows."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from audit.domain.chain import COLUMNS, ChainEntry
from audit.orm import entries, heads, held, loops

CHAIN_COLUMNS = [entries.c[name] for name in COLUMNS]
_LOOP_UPSERTS: dict[str, Any] = {}  # by dialect
# One head moved per case, executed for many cases at once.
_MOVE_HEAD = (
    update(heads)
    .where(heads.c.case_id == bindparam("b_case"))
    .values(last_seq=bindparam("last_seq"), head_hash=bindparam("head_hash"))
)


def upsert(session: AsyncSession, table: Table) -> Any:
    """INSERT ... ON CONFLICT builder of the session's dialect (SQLite and PostgreSQL spell it alike)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _head_stub(case_id: str, last_seq: int, head_hash: str) -> ChainEntry:
    # next_entry reads only seq and hash of the head it extends.
    return ChainEntry(last_seq, case_id, "", "", None, "", "", None, "", "", head_hash)


class RecordRepository:
    """The append-only record: nothing here updates or deletes an entry.

    Within one unit of work it remembers what it read and wrote: a consumed batch loads the ids, held events and
    chain heads of all its events in one statement each (``preload``), appends go to the database in one statement
    per table at commit (``flush``), and each case's head moves once however many of its events the batch holds.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._checked: set[str] = set()  # event ids whose presence in the record is known (preloaded)
        self._recorded: set[str] = set()  # ... and those of them in the record, or appended here
        self._held_checked: set[str] = set()
        self._held: set[str] = set()
        self._holding: dict[str, dict[str, Any]] = {}  # event id -> held row, written at flush
        self._releasing: set[str] = set()  # stored held events taken, deleted at flush
        self._heads: dict[str, ChainEntry | None] = {}  # head per case as this unit of work sees it
        self._new_cases: set[str] = set()  # cases whose first entry is appended here
        self._moved: dict[str, ChainEntry] = {}  # new head per case, written at flush
        self._appends: list[dict[str, Any]] = []
        self._appended: dict[str, list[ChainEntry]] = {}  # case -> the entries appended to it here, in seq order
        self._waiting_checked: set[str] = set()  # causes whose waiting events are known
        self._waiting: dict[str, list[tuple[str, str, str | None]]] = {}  # cause -> (event id, envelope, digest)

    async def preload(self, event_ids: Collection[str], causes: Collection[str], case_ids: Collection[str]) -> None:
        """Read at once whether these events and causes are recorded or held, which held events wait on these
        events, and the cases' heads (locked where the database can, in case order)."""
        ids = set(event_ids) | set(causes)
        if ids:
            found = await self.session.execute(select(entries.c.event_id).where(entries.c.event_id.in_(ids)))
            self._recorded |= {r[0] for r in found}
            self._checked |= ids
        if event_ids:
            rows = await self.session.execute(
                select(held.c.event_id, held.c.causation_id, held.c.envelope, held.c.signed_digest)
                .where(held.c.event_id.in_(event_ids) | held.c.causation_id.in_(event_ids))
                .order_by(held.c.held_at)
            )
            wanted = set(event_ids)
            for r in rows:
                if r.event_id in wanted:
                    self._held.add(r.event_id)
                if r.causation_id in wanted:
                    self._waiting.setdefault(r.causation_id, []).append((r.event_id, r.envelope, r.signed_digest))
            self._held_checked |= wanted
            self._waiting_checked |= wanted
        missing = sorted(set(case_ids) - self._heads.keys())
        if missing:
            rows = await self.session.execute(
                select(heads.c.case_id, heads.c.last_seq, heads.c.head_hash)
                .where(heads.c.case_id.in_(missing))
                .order_by(heads.c.case_id)
                .with_for_update()
            )
            self._heads.update(dict.fromkeys(missing))
            for r in rows:
                self._heads[r.case_id] = _head_stub(r.case_id, r.last_seq, r.head_hash)

    async def head(self, case_id: str) -> ChainEntry | None:
        """The case's chain head, locked for this transaction where the database can (appends to a case serialise)."""
        if case_id in self._heads:
            return self._heads[case_id]
        row = (
            await self.session.execute(
                select(heads.c.last_seq, heads.c.head_hash).where(heads.c.case_id == case_id).with_for_update()
            )
        ).first()
        self._heads[case_id] = None if row is None else _head_stub(case_id, row.last_seq, row.head_hash)
        return self._heads[case_id]

    async def recorded(self, event_id: str) -> bool:
        """Whether the event is in some case's record."""
        if event_id in self._recorded:
            return True
        if event_id in self._checked:
            return False
        found = await self.session.execute(select(entries.c.id).where(entries.c.event_id == event_id))
        return found.first() is not None

    async def append(
        self, entry: ChainEntry, *, recorded_at: datetime, cause_missing: bool, origin: Mapping[str, Any]
    ) -> None:
        """Append the entry with its origin columns and move its case's head (written at ``flush``; a racing
        writer fails there on the unique head / seq)."""
        self._appends.append({**entry._asdict(), **origin, "recorded_at": recorded_at, "cause_missing": cause_missing})
        if entry.seq == 1:
            self._new_cases.add(entry.case_id)
        self._heads[entry.case_id] = self._moved[entry.case_id] = entry
        self._recorded.add(entry.event_id)
        self._appended.setdefault(entry.case_id, []).append(entry)

    def appended(self, case_id: str) -> list[ChainEntry]:
        """The entries appended to the case in this unit of work, in seq order."""
        return self._appended.get(case_id, [])

    async def flush(self) -> None:
        """Write the appended entries, the cases' new heads and the held events taken and left (one statement per
        kind)."""
        await self._write_held()
        if self._appends:
            await self.session.execute(insert(entries), self._appends)
            self._appends = []
        if not self._moved:
            return
        moved, self._moved = self._moved, {}
        created = [
            {"case_id": c, "last_seq": e.seq, "head_hash": e.hash, "anchored_seq": None}
            for c, e in moved.items()
            if c in self._new_cases
        ]
        changed = [
            {"b_case": c, "last_seq": e.seq, "head_hash": e.hash} for c, e in moved.items() if c not in self._new_cases
        ]
        self._new_cases = set()
        if created:
            await self.session.execute(insert(heads), created)
        if changed:
            await self.session.execute(_MOVE_HEAD, changed)

    async def chain(self, case_id: str, columns: Sequence[Any] = CHAIN_COLUMNS) -> list[tuple[Any, ...]]:
        """The case's entries in seq order, as verify_chain reads them (the chain's columns first)."""
        rows = await self.session.execute(select(*columns).where(entries.c.case_id == case_id).order_by(entries.c.seq))
        return [tuple(r) for r in rows]

    async def entries_of(self, case_id: str) -> list[Any]:
        """Every column of the case's entries in seq order."""
        rows = await self.session.execute(select(entries).where(entries.c.case_id == case_id).order_by(entries.c.seq))
        return list(rows)

    async def loop_folds_of(self, case_ids: Collection[str]) -> dict[str, tuple[int, str | None, int | None]]:
        """Of these cases (those with a record): the seq of their last entry, and the loop fold their loop row keeps
        with the seq it is as of (None, None without one), read at once (the entries appended in this unit of work
        included)."""
        if self._appends:
            await self.flush()
        if not case_ids:
            return {}
        rows = await self.session.execute(
            select(heads.c.case_id, heads.c.last_seq, loops.c.fold, loops.c.fold_seq)
            .outerjoin(loops, loops.c.case_id == heads.c.case_id)
            .where(heads.c.case_id.in_(sorted(case_ids)))
        )
        return {r.case_id: (r.last_seq, r.fold, r.fold_seq) for r in rows}

    async def loop_inputs_of(self, case_ids: Collection[str]) -> dict[str, list[Any]]:
        """(seq, event_type, at, payload) of these cases' entries in seq order, read at once (the entries appended in
        this unit of work included)."""
        if self._appends:
            await self.flush()
        found: dict[str, list[Any]] = {case_id: [] for case_id in case_ids}
        if found:
            rows = await self.session.execute(
                select(entries.c.case_id, entries.c.seq, entries.c.event_type, entries.c.at, entries.c.payload)
                .where(entries.c.case_id.in_(found))
                .order_by(entries.c.case_id, entries.c.seq)
            )
            for r in rows:
                found[r.case_id].append(r)
        return found

    # --- held events -------------------------------------------------------------------------------------------
    # A batch's held events are written at flush (one insert), and the stored ones it releases deleted there (one
    # delete); one held and released within the batch never reaches the table. Every read of the table writes them
    # first.

    async def _write_held(self) -> None:
        if self._holding:
            await self.session.execute(insert(held), list(self._holding.values()))
            self._holding = {}
        if self._releasing:
            await self.session.execute(delete(held).where(held.c.event_id.in_(sorted(self._releasing))))
            self._releasing = set()

    async def is_held(self, event_id: str) -> bool:
        """Whether the event waits for its cause."""
        if event_id in self._held:
            return True
        if event_id in self._held_checked:
            return False
        await self._write_held()
        return (
            await self.session.execute(select(held.c.event_id).where(held.c.event_id == event_id))
        ).first() is not None

    async def hold(
        self, event_id: str, case_id: str, causation_id: str, envelope: str, at: datetime, signed_digest: str
    ) -> None:
        """Keep the event (stripped) and the digest of its payload as it arrived until its cause is recorded."""
        self._held.add(event_id)
        if causation_id in self._waiting_checked:
            self._waiting.setdefault(causation_id, []).append((event_id, envelope, signed_digest))
        self._holding[event_id] = {
            "event_id": event_id,
            "case_id": case_id,
            "causation_id": causation_id,
            "envelope": envelope,
            "held_at": at,
            "signed_digest": signed_digest,
        }

    def _take(self, event_ids: Collection[str]) -> None:
        """These held events leave the table (at flush; those held in this unit of work are simply not written)."""
        for event_id in event_ids:
            self._held.discard(event_id)
            if self._holding.pop(event_id, None) is None:
                self._releasing.add(event_id)

    async def release_waiting_on(self, cause_id: str) -> list[tuple[str, str | None]]:
        """Take the events that wait for `cause_id` (oldest first); returns (stored envelope, payload digest)."""
        if cause_id in self._waiting_checked:
            waiting = self._waiting.pop(cause_id, [])
            self._take([w[0] for w in waiting])
            return [(text, digest) for _, text, digest in waiting]
        await self._write_held()
        rows = (
            await self.session.execute(
                select(held.c.event_id, held.c.envelope, held.c.signed_digest)
                .where(held.c.causation_id == cause_id)
                .order_by(held.c.held_at)
            )
        ).all()
        self._take([r.event_id for r in rows])
        return [(r.envelope, r.signed_digest) for r in rows]

    async def release(self, event_id: str) -> tuple[str, str | None] | None:
        """Take one held event (stored envelope, payload digest); None when someone else took it first."""
        await self._write_held()
        row = (
            await self.session.execute(select(held.c.envelope, held.c.signed_digest).where(held.c.event_id == event_id))
        ).first()
        if row is None:
            return None
        self._take([event_id])
        await self._write_held()  # at once: the row stays locked for this transaction from here
        return row.envelope, row.signed_digest

    async def held_before(self, cutoff: datetime, limit: int) -> list[str]:
        """Ids of events held since before `cutoff`, oldest first."""
        await self._write_held()
        rows = await self.session.execute(
            select(held.c.event_id).where(held.c.held_at <= cutoff).order_by(held.c.held_at).limit(limit)
        )
        return [r.event_id for r in rows]

    async def held_count(self) -> int:
        """How many events wait for their cause."""
        await self._write_held()
        return (await self.session.execute(select(func.count()).select_from(held))).scalar_one()


class LoopRepository:
    """The loop status row of each case."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save_all(self, rows: Sequence[Mapping[str, Any]], *, now: datetime) -> None:
        """Insert or replace the loop status of many cases in one statement (``case_id``, ``complete``,
        ``missing`` as text, ``cycle``, ``closed_at``, and the ``fold`` it came from as of entry ``fold_seq``)."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        if (stmt := _LOOP_UPSERTS.get(dialect)) is None:
            ins = upsert(self.session, loops)
            stmt = _LOOP_UPSERTS[dialect] = ins.on_conflict_do_update(
                index_elements=[loops.c.case_id],
                set_={
                    k: ins.excluded[k]
                    for k in ("complete", "missing", "cycle", "closed_at", "updated_at", "fold", "fold_seq")
                },
            )
        await self.session.execute(stmt, [{**r, "updated_at": now} for r in rows])

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
