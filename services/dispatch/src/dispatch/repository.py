"""What commands and handlers load and write: work cases, assignments, the action log, merges, supervision and clocks
from escalation, the change sequence (the case as stored: ``case_file``; routing versions: ``routing_repository``; the
read-only queries behind the views: ``read_repository``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from caseflow_common.db import on_postgres
from caseflow_common.events import Actor
from dispatch.case_file import CaseFile, case_from_row, state_of, stored
from dispatch.escalation_inputs import EscalationInputs
from dispatch.orm import (
    assignments,
    case_actions,
    case_departures,
    merged_cases,
    work_cases,
)

wc, asg = work_cases, assignments


class ConcurrentUpdate(Exception):
    """Another transaction changed the case first; the caller retries or answers 409."""


# Statements of every case load and save, built once (a statement built anew per call is keyed for the compiled
# cache every time); values are parameters.
_EXISTS = select(wc.c.case_id).where(wc.c.case_id == bindparam("case_id"))


def _load(which: Any) -> Any:
    """Cases' rows and their active assisting units (one row per unit, or one with none), in case order."""
    return (
        select(wc, asg.c.unit.label("assisting_unit"))
        .outerjoin(asg, and_(asg.c.case_id == wc.c.case_id, asg.c.role == "assisting", asg.c.active))
        .where(which)
        .order_by(wc.c.case_id, asg.c.unit)
    )


# One case (get), or many at once (a group of departments' actions: preload).
_LOAD = _load(wc.c.case_id == bindparam("case_id"))
_LOAD_MANY = _load(wc.c.case_id.in_(bindparam("case_ids", expanding=True)))
_CASE_COLUMNS = tuple(wc.c.keys())
_INSERT_CASE = insert(wc)
# Columns come from the parameters' keys; the where clause's parameters are named apart from them.
_SAVE = update(wc).where(wc.c.case_id == bindparam("b_case_id"), wc.c.row_version == bindparam("b_row_version"))
_LOG = insert(case_actions)

# The PostgreSQL advisory lock that puts committing transactions' changes in one sequence (see stamp_changes).
CHANGE_SEQUENCE_LOCK = 0x63660001
_LOCK_CASES = (
    select(wc.c.case_id)
    .where(wc.c.case_id.in_(bindparam("case_ids", expanding=True)))
    .order_by(wc.c.case_id)
    .with_for_update()
)
_LOCK_SEQUENCE = text("SELECT pg_advisory_xact_lock(:key)")
_SEQ = wc.alias("seq")
_NEXT_SEQ = func.coalesce(select(func.max(_SEQ.c.change_seq)).scalar_subquery(), 0) + 1
_STAMP = (
    update(wc).where(wc.c.case_id == bindparam("b_case_id")).values(change_seq=_NEXT_SEQ, updated_at=bindparam("b_at"))
)
# SQLite (one writer: whatever number a transaction takes, no other commits before it) numbers a case in the statement
# that writes its row, so a command's case needs no statement of its own for it (see stamp_changes).
_INSERT_CASE_NUMBERED = insert(wc).values(change_seq=_NEXT_SEQ)
_SAVE_NUMBERED = _SAVE.values(change_seq=_NEXT_SEQ)
_SEQ_OF = select(wc.c.case_id, wc.c.change_seq).where(wc.c.case_id.in_(bindparam("case_ids", expanding=True)))
_FORGET_DEPARTURE = delete(case_departures).where(
    case_departures.c.case_id == bindparam("b_case_id"), case_departures.c.unit == bindparam("b_unit")
)


def _by_shape(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The rows grouped by their set of columns (an executemany takes rows of one shape), in first-seen order."""
    shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(frozenset(row), []).append(row)
    return list(shapes.values())


class CaseRepository(EscalationInputs):
    """Work cases and what hangs off them. Every write that changes what a unit sees of a case marks the case as
    ``touched`` (and a unit whose part in it ended as ``left``); the unit of work gives each touched case its next
    change number just before it commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.touched: set[str] = set()
        self.left: set[tuple[str, str]] = set()  # (case, unit): the unit's part in the case ended
        self._asked: set[str] = set()  # cases whose presence was read at once (preload_presence) ...
        self._held: set[str] | None = None  # ... and those of them dispatch holds (or added since)
        self._log_rows: list[dict[str, Any]] = []  # action log entries, written at flush
        self._init_escalation_inputs()
        self._numbered: set[str] = set()  # cases whose row write took their change number already (SQLite)
        self._new_cases: list[dict[str, Any]] = []  # rows of cases added, not written yet
        self._loaded: dict[str, list[Any]] = {}  # case -> its rows as read by preload, until its get or a write
        # A group of actions (``defer_saves``): each case's save waits, merged with any later save of it, and the
        # group's saves are written together before the repository's next statement or at flush.
        self._deferring = False
        self._saves: dict[str, dict[str, Any]] = {}  # case -> its waiting save's parameters

    async def _execute(self, stmt: Any, params: Any = None) -> Any:
        """Every statement of this repository: the cases added since the last one are written first, so nothing
        here reads or changes the table without them; a write other than a case's own save forgets what preload
        read (it may have changed any case)."""
        if self._new_cases:
            await self._write_new_cases()
        if self._saves:
            await self._write_saves()
        if self._loaded and not getattr(stmt, "is_select", False) and stmt is not _SAVE and stmt is not _SAVE_NUMBERED:
            self._loaded = {}
        return await self.session.execute(stmt, params)

    async def _write_new_cases(self) -> None:
        """The added cases, in one statement per set of columns (a consumed batch routes many new cases; on SQLite
        the statement numbers each row after the previous one, see ``_numbering``)."""
        rows, self._new_cases = self._new_cases, []
        stmt = _INSERT_CASE if on_postgres(self.session) else _INSERT_CASE_NUMBERED  # as _numbering chose in add
        for same in _by_shape(rows):
            await self.session.execute(stmt, same)

    async def exists(self, case_id: str) -> bool:
        """True when dispatch already holds the case."""
        if self._held is not None and case_id in self._asked:
            return case_id in self._held
        return (await self._execute(_EXISTS, {"case_id": case_id})).first() is not None

    async def preload_presence(self, case_ids: Collection[str]) -> None:
        """Which of these cases dispatch holds, in one statement (a consumed batch's new cases); ``exists`` answers
        for them from here on."""
        asked = set(case_ids)
        self._asked, self._held = asked, set()
        if asked:
            found = await self._execute(select(wc.c.case_id).where(wc.c.case_id.in_(sorted(asked))))
            self._held.update(found.scalars())

    async def preload(self, case_ids: Collection[str]) -> None:
        """Read these cases in one statement (a group of actions): the next ``get`` of each answers from here, unless
        something was written in between that may have changed it."""
        wanted = sorted(set(case_ids))
        if not wanted:
            return
        rows = await self._execute(_LOAD_MANY, {"case_ids": wanted})
        self._loaded = {case_id: [] for case_id in wanted}
        for row in rows:
            self._loaded[row.case_id].append(row)

    async def get(self, case_id: str) -> CaseFile | None:
        """The case as stored, or None."""
        rows = self._loaded.pop(case_id, None)
        if rows is None:
            rows = (await self._execute(_LOAD, {"case_id": case_id})).all()
        if not rows:
            return None
        row = rows[0]
        assisting = tuple(r.assisting_unit for r in rows if r.assisting_unit is not None)
        mapping = row._mapping
        facts = {k: stored(mapping[k]) for k in _CASE_COLUMNS}
        return CaseFile(case_from_row(row, assisting), facts, row.row_version)

    async def add(self, file: CaseFile, now: datetime) -> None:
        """Insert a new case."""
        values = {**file.facts, **file.changes, **state_of(file.case)}
        values.update(case_id=file.case.case_id, created_at=now, updated_at=now, row_version=1)
        self._new_cases.append(values)  # written with the others before the next statement (_write_new_cases)
        self._numbering(_INSERT_CASE_NUMBERED, _INSERT_CASE, file.case.case_id)  # on SQLite the insert numbers it
        self.touched.add(file.case.case_id)
        if self._held is not None:
            self._held.add(file.case.case_id)
        file.facts.update(values)
        file.row_version, file.changes = 1, {}

    def defer_saves(self) -> None:
        """From now on in this unit of work, a save waits to be written with the others (a group of departments'
        actions: one statement for the group's cases where the database counts the rows of each, see
        ``_write_saves``); a ConcurrentUpdate is raised when they are written."""
        self._deferring = True

    async def save(self, file: CaseFile, now: datetime) -> None:
        """Write the case's state (at once, or with the others once saves are deferred); ConcurrentUpdate when
        someone else changed it since it was read."""
        case_id = file.case.case_id
        for column in ("unit", "coordination_unit"):
            before = file.facts.get(column)
            if before and before != getattr(file.case, column):
                self.left.add((case_id, before))
        self._loaded.pop(case_id, None)
        values = {**file.changes, **state_of(file.case), "updated_at": now, "row_version": file.row_version + 1}
        self._numbering(_SAVE_NUMBERED, _SAVE, case_id)  # on SQLite the update numbers it (see _write_saves)
        if (waiting := self._saves.get(case_id)) is not None:
            waiting.update(values)  # saved again: one write, still from the version first read
        else:
            self._saves[case_id] = {**values, "b_case_id": case_id, "b_row_version": file.row_version}
        if not self._deferring:
            await self._write_saves()
        self.touched.add(case_id)
        file.facts.update(values)
        file.row_version, file.changes = file.row_version + 1, {}

    async def _write_saves(self) -> None:
        """The waiting saves: one statement per set of columns where the driver counts the rows an executemany
        matched (SQLite's), else one a case (asyncpg counts none of a batch); ConcurrentUpdate when any matched
        none. An UPDATE answers with a CursorResult: rowcount is the rows it matched."""
        if self._new_cases:
            await self._write_new_cases()  # a case added and saved in one unit of work: its row first
        saves, self._saves = list(self._saves.values()), {}
        stmt = _SAVE if on_postgres(self.session) else _SAVE_NUMBERED  # as _numbering chose in save
        together = self.session.get_bind().dialect.supports_sane_multi_rowcount
        for same in _by_shape(saves) if together else [[params] for params in saves]:
            result = cast(CursorResult[Any], await self.session.execute(stmt, same if len(same) > 1 else same[0]))
            if result.rowcount != len(same):
                changed = ", ".join(p["b_case_id"] for p in same)
                raise ConcurrentUpdate(
                    f"case {changed} changed concurrently"
                    if len(same) == 1
                    else f"one of the cases {changed} changed concurrently"
                )

    def _numbering(self, numbered: Any, plain: Any, case_id: str) -> Any:
        """The statement writing a case's row: on SQLite the one that also takes its change number."""
        if on_postgres(self.session):
            return plain  # numbered last, under the sequence's lock (stamp_changes)
        self._numbered.add(case_id)
        return numbered

    # -- assignments -----------------------------------------------------------------------------------------
    async def assign(self, case_id: str, unit: str, *, cycle: int, role: str, at: datetime) -> None:
        """Give a unit a role on the case for this cycle (lead, assisting, coordination)."""
        key = and_(asg.c.case_id == case_id, asg.c.unit == unit, asg.c.cycle == cycle)
        found = (await self._execute(select(asg.c.unit).where(key))).first()
        if found:
            await self._execute(update(asg).where(key).values(role=role, active=True, assigned_at=at))
        else:
            await self._execute(
                insert(asg).values(case_id=case_id, unit=unit, cycle=cycle, role=role, active=True, assigned_at=at)
            )

    async def end_assignments(self, case_id: str, roles: tuple[str, ...] = ("lead", "assisting")) -> None:
        """Deactivate the case's assignments of these roles (a new cycle, a new coordination)."""
        ending = asg.c.case_id == case_id, asg.c.role.in_(roles), asg.c.active
        self.left.update((case_id, unit) for unit in (await self._execute(select(asg.c.unit).where(*ending))).scalars())
        await self._execute(update(asg).where(asg.c.case_id == case_id, asg.c.role.in_(roles)).values(active=False))

    async def end_assignment(self, case_id: str, unit: str) -> None:
        """Deactivate one unit's assignments on the case (it handed the case on: its access ends)."""
        self.left.add((case_id, unit))
        await self._execute(update(asg).where(asg.c.case_id == case_id, asg.c.unit == unit).values(active=False))

    async def end_unit_assignments(self, unit: str) -> None:
        """Deactivate every assignment of a unit that left the directory (assisting, coordinating, notified)."""
        await self._execute(update(asg).where(asg.c.unit == unit, asg.c.active).values(active=False))

    async def assignment_role(self, case_id: str, unit: str) -> str | None:
        """The unit's active assignment role on the case (assisting, coordination, lead), or None."""
        return (
            await self._execute(
                select(asg.c.role)
                .where(asg.c.case_id == case_id, asg.c.unit == unit, asg.c.active)
                .order_by(asg.c.cycle.desc())
                .limit(1)
            )
        ).scalar_one_or_none()

    # -- action log ------------------------------------------------------------------------------------------
    async def log(
        self,
        case_id: str,
        *,
        cycle: int,
        action: str,
        unit: str | None,
        actor: Actor,
        at: datetime,
        detail: dict[str, Any],
    ) -> None:
        """Append one entry to the case's action log (written at ``flush``, with the unit of work's other entries)."""
        self._log_rows.append(
            {
                "case_id": case_id,
                "cycle": cycle,
                "action": action,
                "unit": unit,
                "actor_role": actor.role,
                "actor_id": actor.id,
                "at": at,
                "detail": detail,
            }
        )

    async def flush(self) -> None:
        """Write what this unit of work kept back: the cases added (before the first statement here); the action log's
        entries, in order, in one statement; the clock lists that replace the stored ones, in one delete and one
        insert."""
        if self._new_cases:
            await self._write_new_cases()
        if self._saves:
            await self._write_saves()
        if self._log_rows:
            rows, self._log_rows = self._log_rows, []
            await self._execute(_LOG, rows)
        await self._write_clock_lists()

    async def has_action(self, case_id: str, *, unit: str, cycle: int, action: str) -> bool:
        """True when the unit took this action on the case in this cycle (a part reply is given once)."""
        await self.flush()
        t = case_actions
        found = await self._execute(
            select(t.c.id)
            .where(t.c.case_id == case_id, t.c.unit == unit, t.c.cycle == cycle, t.c.action == action)
            .limit(1)
        )
        return found.first() is not None

    # -- merges (并单) ---------------------------------------------------------------------------------------
    async def add_merge(self, into_case_id: str, case_id: str, received_at: datetime) -> None:
        """Link a repeat request to the open case it joined."""
        t = merged_cases
        key = and_(t.c.into_case_id == into_case_id, t.c.case_id == case_id)
        if (await self._execute(select(t.c.case_id).where(key))).first() is None:
            await self._execute(insert(t).values(into_case_id=into_case_id, case_id=case_id, received_at=received_at))

    # -- the change sequence ---------------------------------------------------------------------------------
    async def stamp_changes(self, now: datetime) -> None:
        """Give every touched case the next numbers of the change sequence (its ``change_seq``, the live stream's
        event id) and ``updated_at`` = now. Done last before commit, under a lock held until the commit (PostgreSQL:
        an advisory transaction lock; SQLite: its one writer), so numbers are handed out in commit order and a
        reader that has seen number n never later finds a smaller one appear. On SQLite a case whose row was written
        in this transaction took its number in that statement (``_numbering``): one per transaction is enough, as no
        reader sees the case before the commit."""
        left, self.left = self.left, set()
        numbered, self._numbered = self._numbered, set()
        touched = sorted((self.touched | {case_id for case_id, _ in left}) - numbered)
        self.touched = set()
        if on_postgres(self.session) and touched:
            # The cases' rows first (in order), then the sequence: a transaction holding the sequence never waits
            # on a row another one holds while that one waits for the sequence.
            await self._execute(_LOCK_CASES, {"case_ids": touched})
            await self._execute(_LOCK_SEQUENCE, {"key": CHANGE_SEQUENCE_LOCK})
        # One statement: each case, in order, takes the number after the highest given so far (the rows are updated
        # one after the other, each seeing the previous ones).
        if touched:
            await self._execute(_STAMP, [{"b_case_id": c, "b_at": now} for c in touched])
        if left:  # a unit that left keeps one row per case, at its latest departure (the stream checks it is gone)
            t = case_departures
            gone = sorted(left)
            found = await self._execute(_SEQ_OF, {"case_ids": sorted({c for c, _ in gone})})
            seq: dict[str, int] = {case_id: n for case_id, n in found}
            await self._execute(_FORGET_DEPARTURE, [{"b_case_id": c, "b_unit": u} for c, u in gone])
            await self._execute(
                insert(t), [{"case_id": c, "unit": u, "change_seq": seq[c]} for c, u in gone if c in seq]
            )
