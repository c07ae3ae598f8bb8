"""SQL of the escalation service: cases and facts, clocks (durable timers), versions; actions and warnings in
supervision_repository, hotspot sightings in sighting_queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    bindparam,
    case,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from escalation.domain.replay import CaseFact, FactKind
from escalation.orm import (
    calendar_versions,
    case_facts,
    cases,
    clocks,
    evaluations,
    policy_versions,
    repeats,
)
from escalation.queries import stored_at
from escalation.sighting_queries import SightingQueries
from escalation.supervision_repository import SupervisionQueries

__all__ = ["CALENDAR_VERSIONS", "POLICY_VERSIONS", "Repository", "stored_at"]

# Upserts by shape (which columns a call gives): built once, so a call only binds its values.
_STATEMENTS: dict[tuple[Any, ...], Any] = {}
# The same for the dialect-neutral statements of every event.
_CASE = select(cases).where(cases.c.case_id == bindparam("case_id"))
_REPEATS_OF = select(repeats.c.case_id).where(repeats.c.into_case_id == bindparam("into_case_id"))
_ADD_EVALUATION = evaluations.insert()
_RECENT_EVALUATIONS = (
    select(evaluations)
    .where(evaluations.c.unit == bindparam("unit"))
    .order_by(evaluations.c.at.desc(), evaluations.c.id.desc())
    .limit(bindparam("last"))
)


class Repository(SightingQueries, SupervisionQueries):
    """Every query of escalation on one session; the unit of work commits.

    After ``preload`` (a consumed batch) the clocks, facts and clock-driven actions of the batch's cases are read
    once, in one statement each, and kept as this unit of work changes them: a case's clocks are never read again
    (a write answers with the rows it wrote), its facts not at all (``add_fact`` keeps them in order here as well).
    The batch's case rows and facts are written at ``flush`` (the unit of work's commit), one statement per shape,
    and so are the regions its received cases count in: until then the hotspot counts add the batch's own sightings
    to the stored ones, so each check counts what it would have counted one event at a time.
    """

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._init_sightings()
        # case -> its clock rows (as written) / its facts ((at, order), event id, fact) / its actions
        self._clocks: dict[str, list[Row]] | None = None
        self._facts: dict[str, list[tuple[tuple[datetime, int], str, CaseFact]]] | None = None
        self._actions: dict[str, list[Row]] | None = None
        self._added = 0
        self._noted: set[str] = set()  # cases whose row this unit of work upserted
        self._pending_cases: dict[str, dict[str, Any]] = {}  # preloaded case -> the columns given since, merged
        self._pending_facts: list[dict[str, Any]] = []  # facts of preloaded cases, not written yet
        self._warned: set[str] = set()  # pattern warnings this unit of work inserted or found stored

    async def preload(self, case_ids: Iterable[str]) -> None:
        """Read the clocks (locked where the database can), facts and clock-driven actions of these cases."""
        ids = sorted(set(case_ids))
        if not ids:
            return
        self._clocks = {c: [] for c in ids}
        for r in await self._clock_query(ids, lock=True):
            self._clocks[r.case_id].append(r)
        self._facts = {c: [] for c in ids}
        rows = await self.session.execute(
            select(case_facts).where(case_facts.c.case_id.in_(ids)).order_by(case_facts.c.at, case_facts.c.id)
        )
        for r in rows:
            at = stored_at(r.at)
            fact = CaseFact(FactKind(r.kind), at, r.unit, r.channel, r.category, r.urgency)
            self._facts[r.case_id].append(((at, r.id), r.event_id, fact))
        self._actions = {c: [] for c in ids}
        for a in await super().actions_of_cases(ids):
            self._actions[a.case_id].append(a)

    def _deferred(self, case_id: str) -> bool:
        """True for a case of the preloaded batch: its row and facts are written at ``flush``."""
        return self._facts is not None and case_id in self._facts

    async def flush(self) -> None:
        """Write the batch's case rows (one upsert per shape of given columns) and facts (one insert)."""
        await self._flush_cases(sorted(self._pending_cases))
        await self._flush_sightings()
        if self._pending_facts:
            rows, self._pending_facts = self._pending_facts, []
            await self.session.execute(self._fact_insert(), rows)

    async def _flush_cases(self, case_ids: Sequence[str]) -> None:
        by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for case_id in case_ids:
            values = self._pending_cases.pop(case_id)
            by_shape.setdefault(tuple(sorted(values)), []).append({"case_id": case_id, "cycle": 1, **values})
        for keys, params in by_shape.items():
            await self.session.execute(self._case_upsert(keys), params)

    # --- cases and facts --------------------------------------------------------------------------------

    async def case(self, case_id: str) -> Row | None:
        if case_id in self._pending_cases:
            await self._flush_cases([case_id])
        return (await self.session.execute(_CASE, {"case_id": case_id})).first()

    async def upsert_case(self, case_id: str, **values: Any) -> None:
        if self._deferred(case_id):  # later columns win, as a later upsert's would
            self._pending_cases.setdefault(case_id, {}).update(values)
            return
        if not values and case_id in self._noted:
            return  # the row is there: this unit of work wrote it
        self._noted.add(case_id)
        await self.session.execute(self._case_upsert(tuple(values)), {"case_id": case_id, "cycle": 1, **values})

    def _case_upsert(self, keys: tuple[str, ...]) -> Any:
        """The case row's upsert for this set of given columns (built once per shape; values are parameters)."""
        shape = ("case", self.is_postgres, keys)
        if (stmt := _STATEMENTS.get(shape)) is None:
            ins = self._insert(cases)
            stmt = (
                ins.on_conflict_do_update(index_elements=[cases.c.case_id], set_={k: ins.excluded[k] for k in keys})
                if keys
                else ins.on_conflict_do_nothing(index_elements=[cases.c.case_id])
            )
            _STATEMENTS[shape] = stmt
        return stmt

    async def add_fact(self, event_id: str, case_id: str, fact: CaseFact) -> None:
        at = fact.at.astimezone(UTC)
        row = {
            "event_id": event_id,
            "case_id": case_id,
            "kind": fact.kind.value,
            "at": at,
            "unit": fact.unit,
            "channel": fact.channel,
            "category": fact.category,
            "urgency": fact.urgency,
        }
        known = self._facts.get(case_id) if self._facts is not None else None
        if known is None:
            await self.session.execute(self._fact_insert(), [row])
            return
        if all(e != event_id for _, e, _ in known):  # a fact of a preloaded case: written at flush
            self._added += 1  # after every stored row of the same time, as the table's ids order them
            stored = CaseFact(fact.kind, at, fact.unit, fact.channel, fact.category, fact.urgency)
            known.append(((stored.at, 2**62 + self._added), event_id, stored))
            known.sort(key=lambda item: item[0])
            self._pending_facts.append(row)

    def _fact_insert(self) -> Any:
        """A fact's insert, ignored when its event id is stored already (built once per dialect)."""
        shape = ("fact", self.is_postgres)
        if (stmt := _STATEMENTS.get(shape)) is None:
            ins = self._insert(case_facts)
            stmt = _STATEMENTS[shape] = ins.on_conflict_do_nothing(index_elements=[case_facts.c.event_id])
        return stmt

    async def facts(self, case_id: str) -> list[CaseFact]:
        if self._facts is not None and case_id in self._facts:
            return [fact for _, _, fact in self._facts[case_id]]
        rows = await self.session.execute(
            select(case_facts).where(case_facts.c.case_id == case_id).order_by(case_facts.c.at, case_facts.c.id)
        )
        return [CaseFact(FactKind(r.kind), stored_at(r.at), r.unit, r.channel, r.category, r.urgency) for r in rows]

    async def add_repeat(self, into_case_id: str, case_id: str, at: datetime) -> list[str]:
        row = {"into_case_id": into_case_id, "case_id": case_id, "at": at.astimezone(UTC)}
        await self.session.execute(self._insert_ignoring(repeats), [row])
        rows = await self.session.execute(_REPEATS_OF, {"into_case_id": into_case_id})
        return [r[0] for r in rows]

    async def add_evaluation(self, **values: Any) -> None:
        await self.session.execute(_ADD_EVALUATION, [values])

    async def recent_evaluations(self, unit: str, last: int) -> list[Row]:
        return list(await self.session.execute(_RECENT_EVALUATIONS, {"unit": unit, "last": last}))

    def _insert_ignoring(self, table: Table) -> Any:
        """An insert that leaves a row already there as it is (built once per table and dialect)."""
        shape = ("ignoring", self.is_postgres, table.name)
        if (stmt := _STATEMENTS.get(shape)) is None:
            stmt = _STATEMENTS[shape] = self._insert(table).on_conflict_do_nothing()
        return stmt

    async def insert_warning(self, row: dict[str, Any], recipients: Sequence[str] = ()) -> bool:
        """As ``SupervisionQueries.insert_warning``; a warning this unit of work met before is not tried again (every
        case of a hotspot in a batch names the same warning)."""
        if row["id"] in self._warned:
            return False
        self._warned.add(row["id"])
        return await super().insert_warning(row, recipients)

    # --- clocks -----------------------------------------------------------------------------------------

    async def clock_rows(self, case_ids: Sequence[str], *, lock: bool = False) -> list[Row]:
        one = case_ids[0] if len(case_ids) == 1 else None
        if one is not None and self._clocks is not None and one in self._clocks:
            return list(self._clocks[one])  # read (and locked) in this unit of work, unchanged since
        rows = await self._clock_query(case_ids, lock=lock)
        if one is not None and self._clocks is not None and (lock or not self.is_postgres):
            self._clocks[one] = rows
        return list(rows)

    async def _clock_query(self, case_ids: Sequence[str], *, lock: bool) -> list[Row]:
        stmt = select(clocks).where(clocks.c.case_id.in_(case_ids)).order_by(clocks.c.id)
        if lock and self.is_postgres:
            stmt = stmt.with_for_update()
        return list(await self.session.execute(stmt))

    async def actions_of_cases(self, case_ids: Sequence[str]) -> list[Row]:
        if self._actions is not None and all(c in self._actions for c in case_ids):
            return [a for c in case_ids for a in self._actions[c]]
        return await super().actions_of_cases(case_ids)

    async def insert_actions(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        self._actions = None  # read from the database again from now on
        return await super().insert_actions(rows)

    async def save_clocks(self, rows: Sequence[dict[str, Any]]) -> None:
        """Upsert clock rows; a preloaded case keeps the rows as written (the upsert returns them), so its clocks are
        not read again."""
        if not rows:
            return
        shape = ("clocks", self.is_postgres, tuple(rows[0]))
        if (stmt := _STATEMENTS.get(shape)) is None:  # built once per shape of row
            ins = self._insert(clocks)
            keep = {c: ins.excluded[c] for c in rows[0] if c not in ("case_id", "cycle", "kind", "leg")}
            stmt = _STATEMENTS[shape] = ins.on_conflict_do_update(
                index_elements=[clocks.c.case_id, clocks.c.cycle, clocks.c.kind, clocks.c.leg], set_=keep
            ).returning(*clocks.c)
        written = list(await self.session.execute(stmt, list(rows)))
        if self._clocks is None:
            return
        by_case: dict[str, list[Row]] = {}
        for r in written:
            by_case.setdefault(r.case_id, []).append(r)
        for case_id, new in by_case.items():
            if (kept := self._clocks.get(case_id)) is not None:
                ids = {r.id for r in new}
                self._clocks[case_id] = sorted([*(r for r in kept if r.id not in ids), *new], key=lambda r: r.id)

    async def delete_clocks(self, ids: Sequence[int]) -> None:
        if ids:
            if self._clocks is not None:
                gone = set(ids)
                for case_id, kept in self._clocks.items():
                    if any(r.id in gone for r in kept):
                        self._clocks[case_id] = [r for r in kept if r.id not in gone]
            await self.session.execute(clocks.delete().where(clocks.c.id.in_(ids)))

    async def due_clocks(self, now: datetime, limit: int) -> list[Row]:
        """Clocks whose next moment has come, earliest first; replicas skip each other's claimed rows."""
        stmt = (
            select(clocks)
            .where(clocks.c.next_due_at.isnot(None), clocks.c.next_due_at <= now.astimezone(UTC))
            .order_by(clocks.c.next_due_at)
            .limit(limit)
        )
        if self.is_postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        return list(await self.session.execute(stmt))

    async def set_next_due(self, changes: Sequence[tuple[int, datetime | None]]) -> None:
        if not changes:
            return
        if self._clocks is not None:
            self._clocks.clear()  # read again from now on
        if self.is_postgres:  # one statement for the whole batch
            await self.session.execute(
                text(
                    "UPDATE clocks SET next_due_at = v.due FROM unnest(CAST(:ids AS bigint[]), "
                    "CAST(:dues AS timestamptz[])) AS v(id, due) WHERE clocks.id = v.id"
                ),
                {"ids": [i for i, _ in changes], "dues": [d for _, d in changes]},
            )
            return
        await self.session.execute(
            update(clocks).where(clocks.c.id == bindparam("b_id")).values(next_due_at=bindparam("b_due")),
            [{"b_id": i, "b_due": d} for i, d in changes],
        )

    async def running_case_ids(self, after: str, limit: int) -> list[str]:
        rows = await self.session.execute(
            select(clocks.c.case_id)
            .where(clocks.c.met_at.is_(None), clocks.c.case_id > after)
            .group_by(clocks.c.case_id)
            .order_by(clocks.c.case_id)
            .limit(limit)
        )
        return [r[0] for r in rows]

    async def open_counts(self) -> tuple[int, int]:
        """(open clocks, open clocks with a provisional deadline)."""
        row = (
            await self.session.execute(
                select(func.count(), func.coalesce(func.sum(case((clocks.c.provisional, 1), else_=0)), 0)).where(
                    clocks.c.met_at.is_(None)
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    # --- versioned documents ----------------------------------------------------------------------------

    async def latest_version(self, table: Table) -> int | None:
        return (await self.session.execute(select(func.max(table.c.version)))).scalar_one()

    async def document(self, table: Table, version: int) -> dict[str, Any] | None:
        row = (await self.session.execute(select(table.c.document).where(table.c.version == version))).first()
        return None if row is None else row[0]

    async def add_version(self, table: Table, version: int, document: dict[str, Any], at: datetime, by: str) -> None:
        await self.session.execute(
            table.insert().values(version=version, document=document, created_at=at.astimezone(UTC), created_by=by)
        )


POLICY_VERSIONS, CALENDAR_VERSIONS = policy_versions, calendar_versions
