"""SQL of the per-case facts the assessment and the monthly analysis read (upserts, order-tolerant)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from audit.domain.kpi import SATISFIED_LEVELS
from audit.orm import EVALUATION_COUNTS, RUNGS, action_column, actions, cases, evaluations, facts
from audit.repository import upsert
from caseflow_common.contracts.escalation import Rung

# Upserts by shape (which columns a call gives): built once, so a call only binds its values.
_STATEMENTS: dict[tuple[Any, ...], Any] = {}
# Columns a new facts row takes from the case's index row when it has them.
_FROM_CASE = ("district", "category", "region_code", "received_at", "sign_deadline", "close_deadline")


def _row(columns: Mapping[Any, Any]) -> SimpleNamespace:
    """An index row as this repository keeps it: its columns as attributes."""
    return SimpleNamespace(**{str(k): v for k, v in columns.items()})


class FactsRepository:
    """Merges events into case_index, case_facts and supervision_actions whatever order they arrive in.

    The upserts of the (case, unit) rows (``touch``) and of the index rows (``note_case``) are kept until the unit of
    work commits, or until something reads or updates such rows, then written in as few statements as their order
    allows (``flush``): a consumed batch's few hundred upserts go out as a handful of executemany calls instead of one
    statement each. The index rows it knows are kept as the upserts leave them, so they are not read back.
    """

    def __init__(
        self, session: AsyncSession, at_commit: Callable[[Callable[[], Awaitable[None]]], None] | None = None
    ) -> None:
        self.session = session
        self._at_commit = at_commit  # registers work to run before the commit (the unit of work's before_commit)
        self._case_rows: dict[str, Any | None] = {}  # index rows read in this unit of work and not changed since
        self._merged: dict[str, list[str]] = {}  # main case -> cases merged into it, as read by preload_merged
        # Upserts kept for the flush, in order: (row key, statement, values); the key is (case, unit) of a facts
        # row, (case,) of an index row.
        self._kept: list[tuple[tuple[str, ...], Any, dict[str, Any]]] = []
        self._touched_cases: set[str] = set()  # cases with facts touches not written yet
        self._noted = False  # index upserts not written yet
        self._rows_known: set[str] = set()  # cases for which it is known whether they have facts rows ...
        self._with_rows: set[str] = set()  # ... and those of them that have (or will have at flush)

    async def preload(self, case_ids: Collection[str]) -> None:
        """Read the index rows of these cases, and which of them have facts rows, at once (a consumed batch's
        cases)."""
        missing = set(case_ids) - self._case_rows.keys()
        if missing:
            rows = await self.session.execute(select(cases).where(cases.c.case_id.in_(missing)))
            self._case_rows.update(dict.fromkeys(missing))
            self._case_rows.update({r.case_id: _row(r._mapping) for r in rows})
        unknown = set(case_ids) - self._rows_known
        if unknown:
            found = await self.session.execute(select(facts.c.case_id).where(facts.c.case_id.in_(unknown)).distinct())
            self._with_rows |= {r.case_id for r in found}
            self._rows_known |= unknown

    async def note_case(self, case_id: str, **values: Any) -> None:
        """Upsert the case's index row; given non-null values win, others keep what is stored."""
        self._merged = {}
        values = {k: v for k, v in values.items() if v is not None}
        self._noted |= await self._keep((case_id,), self._case_upsert(tuple(values)), {"case_id": case_id, **values})
        if case_id in self._case_rows:  # known here: the row as the upsert leaves it, without reading it back
            before = self._case_rows[case_id]
            stored = vars(before) if before is not None else {c.name: None for c in cases.c}
            self._case_rows[case_id] = _row({**stored, "case_id": case_id, **values})

    def _case_upsert(self, keys: tuple[str, ...]) -> Any:
        """The index row's upsert for this set of given columns (built once per shape; values are parameters)."""
        shape = ("case", self.session.get_bind().dialect.name, keys)
        if (stmt := _STATEMENTS.get(shape)) is None:
            ins = upsert(self.session, cases)
            if keys:
                stmt = ins.on_conflict_do_update(
                    index_elements=[cases.c.case_id], set_={k: func.coalesce(ins.excluded[k], cases.c[k]) for k in keys}
                )
            else:
                stmt = ins.on_conflict_do_nothing(index_elements=[cases.c.case_id])
            _STATEMENTS[shape] = stmt
        return stmt

    async def case_row(self, case_id: str) -> Any | None:
        """The case's index row (its columns as attributes)."""
        if case_id not in self._case_rows:
            await self._index_written()
            found = (await self.session.execute(select(cases).where(cases.c.case_id == case_id))).first()
            self._case_rows[case_id] = None if found is None else _row(found._mapping)
        return self._case_rows[case_id]

    async def touch(
        self,
        case_id: str,
        unit: str,
        *,
        first: Mapping[str, Any] | None = None,
        latest: Mapping[str, Any] | None = None,
        add: Mapping[str, int] | None = None,
    ) -> None:
        """Upsert the (case, unit) row: `first` keeps the earliest stored value, `latest` a new non-null value wins,
        `add` is summed; a new row starts from the case's index row."""
        first, latest, add = dict(first or {}), dict(latest or {}), dict(add or {})
        case = await self.case_row(case_id)
        base = {k: getattr(case, k) for k in _FROM_CASE if case is not None and getattr(case, k) is not None}
        if case is not None and case.district is None and case.merged_into:
            # A merged request is never dispatched itself: it lies in its main case's district.
            main = await self.case_row(case.merged_into)
            if main is not None and main.district is not None:
                base["district"] = main.district
                await self.note_case(case_id, district=main.district)
        base = {k: v for k, v in base.items() if k not in first and k not in latest}
        values = {
            "returns": 0,
            "transfers": 0,
            **{action_column(r): 0 for r in RUNGS},
            **dict.fromkeys(EVALUATION_COUNTS, 0),
            **base,
            **first,
            **latest,
            **add,
        }
        stmt = self._facts_upsert((*base, *first), tuple(latest), tuple(add))
        self._with_rows.add(case_id)
        if await self._keep((case_id, unit), stmt, {"case_id": case_id, "unit": unit, **values}):
            self._touched_cases.add(case_id)

    async def _keep(self, key: tuple[str, ...], stmt: Any, values: dict[str, Any]) -> bool:
        """Keep the upsert for the flush; where no unit of work's commit would run it, execute it now (False)."""
        if self._at_commit is None:
            await self.session.execute(stmt, values)
            return False
        if not self._kept:
            self._at_commit(self.flush)
        self._kept.append((key, stmt, values))
        return True

    async def flush(self) -> None:
        """Write the kept upserts. The n-th upsert of a row goes in the n-th wave, so a row's upserts keep their
        order and no wave writes a row twice; within a wave, the upserts of one shape are one executemany."""
        kept, self._kept, self._touched_cases, self._noted = self._kept, [], set(), False
        waves: list[dict[int, tuple[Any, list[dict[str, Any]]]]] = []
        seen: dict[tuple[str, ...], int] = {}
        for key, stmt, values in kept:
            wave = seen.get(key, 0)
            seen[key] = wave + 1
            if wave == len(waves):
                waves.append({})
            waves[wave].setdefault(id(stmt), (stmt, []))[1].append(values)
        for shapes in waves:
            for stmt, rows in shapes.values():
                await self.session.execute(stmt, rows if len(rows) > 1 else rows[0])

    async def _written(self, case_id: str) -> None:
        """Before a case's facts rows are read or updated: write what is kept for it (and the rest, in order)."""
        if case_id in self._touched_cases:
            await self.flush()

    async def _index_written(self) -> None:
        """Before index rows are read: write the kept upserts."""
        if self._noted:
            await self.flush()

    def _facts_upsert(self, earliest: tuple[str, ...], latest: tuple[str, ...], add: tuple[str, ...]) -> Any:
        """The (case, unit) row's upsert for this shape of `touch` (built once per shape; values are parameters)."""
        shape = ("facts", self.session.get_bind().dialect.name, earliest, latest, add)
        if (stmt := _STATEMENTS.get(shape)) is None:
            ins = upsert(self.session, facts)
            ex = ins.excluded
            set_: dict[str, Any] = {}
            for k in earliest:
                set_[k] = func.coalesce(facts.c[k], ex[k])
            for k in latest:
                set_[k] = func.coalesce(ex[k], facts.c[k])
            for k in add:
                set_[k] = facts.c[k] + ex[k]
            index = [facts.c.case_id, facts.c.unit]
            stmt = (
                ins.on_conflict_do_update(index_elements=index, set_=set_)
                if set_
                else ins.on_conflict_do_nothing(index_elements=index)
            )
            _STATEMENTS[shape] = stmt
        return stmt

    async def units_of(self, case_id: str, *, answered_only: bool = False) -> list[str]:
        """Units with a facts row for the case (only those that replied or closed, when asked)."""
        await self._written(case_id)
        query = select(facts.c.unit).where(facts.c.case_id == case_id)
        if answered_only:
            query = query.where((facts.c.replied_at.isnot(None)) | (facts.c.closed_at.isnot(None)))
        return [r.unit for r in await self.session.execute(query.order_by(facts.c.unit))]

    async def set_on_rows(self, case_id: str, **values: Any) -> None:
        """Set the non-null values on every facts row of the case (facts learnt after the rows were made)."""
        values = {k: v for k, v in values.items() if v is not None}
        if case_id in self._rows_known and case_id not in self._with_rows:
            return  # the case has no facts rows yet (a case received before it is dispatched): nothing to set
        if values:
            await self._written(case_id)
            await self.session.execute(update(facts).where(facts.c.case_id == case_id).values(**values))

    async def preload_merged(self, case_ids: Collection[str]) -> None:
        """Read at once which cases are merged into each of these (index rows written before this, included)."""
        if not case_ids:
            return
        await self._index_written()
        rows = await self.session.execute(
            select(cases.c.case_id, cases.c.merged_into)
            .where(cases.c.merged_into.in_(case_ids))
            .order_by(cases.c.case_id)
        )
        self._merged = {c: [] for c in case_ids}
        for r in rows:
            self._merged[r.merged_into].append(r.case_id)

    async def merged_into(self, case_id: str) -> list[str]:
        """Cases merged into this one (并单)."""
        if case_id in self._merged:
            return list(self._merged[case_id])
        await self._index_written()
        rows = await self.session.execute(select(cases.c.case_id).where(cases.c.merged_into == case_id))
        return [r.case_id for r in rows]

    async def note_evaluation(
        self, case_id: str, row_case: str, unit: str, cycle: int, satisfaction: str, at: datetime, event_id: str
    ) -> None:
        """Keep the requester's evaluation of the unit's handling in this cycle of `case_id` and count it on the
        unit's row of `row_case` (the case itself, or the main case a merged request was answered by); a repeated
        evaluation of the same cycle replaces that cycle's (it is not a second one)."""
        key = (evaluations.c.case_id == case_id) & (evaluations.c.unit == unit) & (evaluations.c.cycle == cycle)
        before = (await self.session.execute(select(evaluations.c.satisfaction).where(key))).first()
        values = {"satisfaction": satisfaction, "evaluated_at": at, "event_id": event_id}
        satisfied = int(satisfaction in SATISFIED_LEVELS)
        if before is None:
            await self.session.execute(insert(evaluations).values(case_id=case_id, unit=unit, cycle=cycle, **values))
            counts = {"evaluations": 1, "evaluations_satisfied": satisfied}
        else:
            await self.session.execute(update(evaluations).where(key).values(**values))
            counts = {
                "evaluations": 0,
                "evaluations_satisfied": satisfied - int(before.satisfaction in SATISFIED_LEVELS),
            }
        await self.touch(row_case, unit, latest={"satisfaction": satisfaction}, add=counts)

    async def note_action(self, action_id: str, case_id: str, unit: str | None, rung: Rung, at: datetime) -> None:
        """Record that a supervision action names a case and count it on the unit's row, once however often
        it is redelivered."""
        stmt = upsert(self.session, actions).values(
            action_id=action_id, case_id=case_id, unit=unit, rung=rung.value, issued_at=at
        )
        inserted = await self.session.execute(
            stmt.on_conflict_do_nothing(index_elements=[actions.c.action_id, actions.c.case_id]).returning(
                actions.c.action_id
            )
        )
        if inserted.first() is not None and unit:
            await self.touch(case_id, unit, add={action_column(rung): 1})
