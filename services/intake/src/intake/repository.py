"""SQL of intake: cases, requesters, case-number counters, the status projection, steps and visits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row, bindparam, func, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.elements import TextClause

from caseflow_common.db import as_utc
from intake.orm import case_status, case_steps, cases, counters, requesters, visits

_SEQUENCES: set[tuple[str, str]] = set()

# The statements of a report's write path and of the projection, built once: each execution only binds its values
# (no statement construction, coercion or cache key per report).
# ``n`` numbers at once (a group of reports): the counter moves by n and returns its new value, the last of them.
_COUNTER_UPSERT = sqlite.insert(counters).values(name=bindparam("name"), value=bindparam("n"))
_NEXT_COUNTERS = _COUNTER_UPSERT.on_conflict_do_update(
    index_elements=[counters.c.name], set_={"value": counters.c.value + _COUNTER_UPSERT.excluded.value}
).returning(counters.c.value)
_LOCK_PLACE = select(func.pg_advisory_xact_lock(func.hashtext(bindparam("place"))))
_BY_EXTERNAL_ID = select(cases.c.case_id, cases.c.fingerprint, cases.c.received_at, cases.c.merged_into).where(
    cases.c.channel == bindparam("channel"), cases.c.external_id == bindparam("external_id")
)
_INSERT_CASE = cases.insert()
_INSERT_REQUESTER = requesters.insert()
_INSERT_STATUS = case_status.insert()
_INSERT_STEP = case_steps.insert()
# The requests merged into a batch's cases (并单), oldest first.
_FOLLOWERS_OF = (
    select(cases.c.merged_into, cases.c.case_id)
    .where(cases.c.merged_into.in_(bindparam("ids", expanding=True)))
    .order_by(cases.c.received_at, cases.c.case_id)
)
_STATUS_ROW = select(case_status).where(case_status.c.case_id == bindparam("case_id"))
_STATUS_ROW_LOCKED = _STATUS_ROW.with_for_update()
# SET takes the columns the parameters name; ``b_case_id`` is the row's key (a column's own name is SET's).
_UPDATE_STATUS = update(case_status).where(case_status.c.case_id == bindparam("b_case_id"))


@cache
def _nextvals(seq: str) -> TextClause:
    return text(f"SELECT nextval('{seq}') FROM generate_series(1, :n)")


def _by_shape(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped by their set of columns, in order of first appearance (one executemany binds one shape)."""
    shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(frozenset(row), []).append(row)
    return list(shapes.values())


def aware(value: datetime) -> datetime:
    """A stored time of a NOT NULL column as an aware UTC datetime (``as_utc`` for a value that is there)."""
    utc = as_utc(value)
    if utc is None:
        raise ValueError("a NOT NULL time column read as null")
    return utc


async def _ensure_sequence(engine: AsyncEngine, name: str) -> str:
    seq = "intake_seq_" + re.sub(r"[^a-z0-9_]", "_", name.lower())
    key = (str(engine.url), seq)
    if key not in _SEQUENCES:
        async with engine.connect() as conn:  # its own short transaction: DDL never waits on the caller's
            try:
                await conn.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {seq}"))
                await conn.commit()
            except DBAPIError:  # a replica created it at the same instant
                await conn.rollback()
        _SEQUENCES.add(key)
    return seq


class IntakeRepository:
    """Queries over intake's own tables, on the unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._status: dict[str, dict[str, Any] | None] | None = None  # projection rows a batch preloaded
        # While a consumed batch is applied (``defer_writes``): the preloaded rows' changed columns, and the steps,
        # written by ``flush`` in one statement per shape rather than one or two per event.
        self._deferring = False
        self._changed: dict[str, set[str]] = {}
        self._steps: list[dict[str, Any]] = []
        self._followers: dict[str, list[str]] | None = None  # main case -> its merged requests, as a batch preloaded

    def _engine(self) -> AsyncEngine:
        bind = self.session.bind
        if not isinstance(bind, AsyncEngine):
            raise RuntimeError("intake's sessions are bound to an engine")
        return bind

    async def next_sequences(self, name: str, n: int) -> list[int]:
        """The next ``n`` values of a named counter, ascending, unique across replicas, in one statement.

        PostgreSQL: a sequence per name (created once, outside our transaction), so concurrent reports never wait
        on one hot counter row. SQLite (one writer anyway): an upsert on the counters table that moves it by n.
        """
        if n < 1:
            raise ValueError("at least one number")
        engine = self._engine()
        if engine.dialect.name == "postgresql":
            seq = await _ensure_sequence(engine, name)
            return sorted((await self.session.execute(_nextvals(seq), {"n": n})).scalars())
        last = (await self.session.execute(_NEXT_COUNTERS, {"name": name, "n": n})).scalar_one()
        return list(range(last - n + 1, last + 1))

    async def lock_place(self, category: str, place: str | None) -> None:
        """Serialise reports of one category at one place (PostgreSQL), so two simultaneous repeats see each other."""
        if place is not None and self._engine().dialect.name == "postgresql":
            await self.session.execute(_LOCK_PLACE, {"place": f"{category}|{place}"})

    async def by_external_id(self, channel: str, external_id: str) -> Row | None:
        """The case a channel already created for an external id, if any."""
        return (await self.session.execute(_BY_EXTERNAL_ID, {"channel": channel, "external_id": external_id})).first()

    async def add_cases(
        self,
        cases_: Sequence[dict[str, Any]],
        requesters_: Sequence[dict[str, Any]],
        statuses: Sequence[dict[str, Any]],
    ) -> None:
        """Insert cases, their requesters (apart, each with its ``case_id``) and their projection rows (``case_id``,
        ``status``, ``updated_at``): one statement per table and shape of row, however many cases."""
        for stmt, rows in (
            (_INSERT_CASE, cases_),
            (_INSERT_REQUESTER, requesters_),
            (_INSERT_STATUS, [{"cycle": 1, "clocks": "[]", **r} for r in statuses]),
        ):
            for same_columns in _by_shape(rows):
                await self.session.execute(stmt, same_columns)

    async def case(self, case_id: str) -> Row | None:
        """A case joined with its projection row."""
        stmt = (
            select(
                cases,
                case_status.c.status,
                case_status.c.unit,
                case_status.c.unit_name,
                case_status.c.cycle,
                case_status.c.clocks,
                case_status.c.clocks_at,
                case_status.c.updated_at,
                case_status.c.reply,
                case_status.c.reply_resolved,
                case_status.c.replied_at,
            )
            .join(case_status, case_status.c.case_id == cases.c.case_id)
            .where(cases.c.case_id == case_id)
        )
        return (await self.session.execute(stmt)).first()

    async def preload_status(self, case_ids: Iterable[str]) -> None:
        """Read (and lock, on PostgreSQL) the projection rows of these cases and of the requests merged into them at
        once: a consumed batch's cases. They are kept as ``set_status`` changes them, so the batch's handlers read
        each row once, and ``followers`` answers for these cases from them."""
        ids = sorted(set(case_ids))
        if not ids:
            return
        self._followers = {case_id: [] for case_id in ids}
        for main, follower in await self.session.execute(_FOLLOWERS_OF, {"ids": ids}):
            self._followers[main].append(follower)
        every = sorted({*ids, *(f for found in self._followers.values() for f in found)})
        stmt = select(case_status).where(case_status.c.case_id.in_(every)).order_by(case_status.c.case_id)
        self._status = dict.fromkeys(every)
        for r in await self.session.execute(stmt.with_for_update()):
            self._status[r.case_id] = dict(r._mapping)

    def defer_writes(self) -> None:
        """From now on keep the preloaded rows' updates and every step until ``flush`` (a consumed batch: the unit of
        work flushes at commit). Reads stay true: the kept rows are what ``status_row`` answers, and ``followers``
        flushes before it asks the database."""
        self._deferring = True

    async def flush(self) -> None:
        """Write what ``defer_writes`` kept: each changed row's changed columns (one statement per set of columns)
        and the steps in the order they were added (one statement)."""
        if self._changed and self._status is not None:
            status, changed, self._changed = self._status, self._changed, {}
            updates = [
                {"b_case_id": case_id, **{c: (status[case_id] or {})[c] for c in columns}}
                for case_id, columns in changed.items()
            ]
            for rows in _by_shape(updates):
                await self.session.execute(_UPDATE_STATUS, rows)
        if self._steps:
            steps, self._steps = self._steps, []
            await self.session.execute(_INSERT_STEP, steps)

    async def status_row(self, case_id: str, *, for_update: bool = False) -> Any | None:
        """The projection row of a case (locked on PostgreSQL when for_update)."""
        if self._status is not None and case_id in self._status:
            kept = self._status[case_id]
            return None if kept is None else SimpleNamespace(**kept)
        stmt = _STATUS_ROW_LOCKED if for_update else _STATUS_ROW
        return (await self.session.execute(stmt, {"case_id": case_id})).first()

    async def set_status(self, case_id: str, **values: Any) -> None:
        """Update a case's projection row (kept for ``flush`` while writes are deferred and the row was preloaded)."""
        if self._status is not None and (kept := self._status.get(case_id)) is not None:
            kept.update(values)
            if self._deferring:
                self._changed.setdefault(case_id, set()).update(values)
                return
        await self.session.execute(_UPDATE_STATUS, {"b_case_id": case_id, **values})

    async def followers(self, case_id: str, statuses: Iterable[str]) -> list[str]:
        """Cases merged into this one whose status is one of statuses (those still waiting on it), oldest first."""
        wanted = {str(s) for s in statuses}
        if self._followers is not None and self._status is not None and case_id in self._followers:
            rows = self._status  # the batch's preloaded rows, as its handlers left them so far
            return [f for f in self._followers[case_id] if (row := rows.get(f)) is not None and row["status"] in wanted]
        await self.flush()  # the followers' statuses as the batch left them so far
        stmt = (
            select(cases.c.case_id)
            .join(case_status, case_status.c.case_id == cases.c.case_id)
            .where(cases.c.merged_into == case_id, case_status.c.status.in_(sorted(wanted)))
            .order_by(cases.c.received_at, cases.c.case_id)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def add_steps(self, steps: Sequence[dict[str, Any]]) -> None:
        """Append steps (``case_id``, ``event_type``, ``at``, ``unit``, ``note``, ``cycle``) in one statement."""
        if steps:
            await self.session.execute(_INSERT_STEP, [{**s, "at": s["at"].astimezone(UTC)} for s in steps])

    async def add_step(
        self, case_id: str, *, event_type: str, at: datetime, unit: str | None, note: str | None, cycle: int
    ) -> None:
        """Append one step to a case's history (kept for ``flush`` while writes are deferred)."""
        step = {
            "case_id": case_id,
            "event_type": event_type,
            "at": at.astimezone(UTC),
            "unit": unit,
            "note": note,
            "cycle": cycle,
        }
        if self._deferring:
            self._steps.append(step)
        else:
            await self.session.execute(_INSERT_STEP, step)

    async def closed_at(self, case_id: str, cycle: int) -> datetime | None:
        """When the cycle was closed (办结), as its step records it."""
        stmt = select(func.max(case_steps.c.at)).where(
            case_steps.c.case_id == case_id, case_steps.c.cycle == cycle, case_steps.c.event_type == "CaseClosed"
        )
        return as_utc((await self.session.execute(stmt)).scalar_one_or_none())

    async def steps(self, case_id: str) -> Sequence[Row]:
        """A case's steps in the order they happened."""
        stmt = select(case_steps).where(case_steps.c.case_id == case_id).order_by(case_steps.c.at, case_steps.c.id)
        return (await self.session.execute(stmt)).all()

    async def requester(self, case_id: str) -> Row | None:
        """The stored requester of a case (phone still encrypted)."""
        return (await self.session.execute(select(requesters).where(requesters.c.case_id == case_id))).first()

    async def add_visit(
        self,
        case_id: str,
        *,
        cycle: int,
        attempt: int,
        contacted: bool,
        satisfaction: str | None,
        comment: str,
        comment_sealed: str | None = None,
        at: datetime,
    ) -> None:
        """Record one visit attempt of a cycle (unique per case, cycle and attempt; one reached attempt per cycle)."""
        await self.session.execute(
            visits.insert().values(
                case_id=case_id,
                cycle=cycle,
                attempt=attempt,
                contacted=contacted,
                satisfaction=satisfaction,
                comment=comment,
                comment_sealed=comment_sealed,
                visited_at=at.astimezone(UTC),
            )
        )

    async def cycle_visits(self, case_id: str, cycle: int) -> Sequence[Row]:
        """The visit attempts already recorded for a cycle, in order."""
        stmt = (
            select(visits.c.attempt, visits.c.contacted)
            .where(visits.c.case_id == case_id, visits.c.cycle == cycle)
            .order_by(visits.c.attempt)
        )
        return (await self.session.execute(stmt)).all()

    async def public_cases(
        self,
        *,
        ids: list[str] | None,
        service_codes: list[str] | None,
        start: datetime | None,
        end: datetime | None,
        statuses: list[str] | None,
        limit: int,
    ) -> Sequence[Row]:
        """Cases for the public Open311 listing: never a withheld-identity case, never a requester column."""
        stmt = (
            select(
                cases.c.case_id,
                cases.c.category,
                cases.c.description,
                cases.c.address,
                cases.c.region_code,
                cases.c.lat,
                cases.c.lon,
                cases.c.media_url,
                cases.c.received_at,
                case_status.c.status,
                case_status.c.unit,
                case_status.c.unit_name,
                case_status.c.clocks,
                case_status.c.updated_at,
            )
            .join(case_status, case_status.c.case_id == cases.c.case_id)
            .where(cases.c.withheld.is_(False))
        )
        if ids:
            stmt = stmt.where(cases.c.case_id.in_(ids))
        if service_codes:
            stmt = stmt.where(cases.c.category.in_(service_codes))
        if start is not None:
            stmt = stmt.where(cases.c.received_at >= start)
        if end is not None:
            stmt = stmt.where(cases.c.received_at <= end)
        if statuses is not None:
            stmt = stmt.where(case_status.c.status.in_(statuses))
        stmt = stmt.order_by(cases.c.received_at.desc(), cases.c.case_id).limit(limit)
        return (await self.session.execute(stmt)).all()
