"""SQL of the escalation service: cases and facts, clocks (durable timers), actions, warnings, versions."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, case, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from caseflow_common.db import as_utc
from escalation.domain.replay import CaseFact, FactKind
from escalation.orm import (
    calendar_versions,
    case_facts,
    case_regions,
    cases,
    clocks,
    evaluations,
    pattern_warnings,
    policy_versions,
    repeats,
    supervision_actions,
    warning_recipients,
)

_PG_ARRAY_TYPES = {
    "id": "text[]",
    "case_id": "text[]",
    "cycle": "int[]",
    "clock_kind": "text[]",
    "rung": "text[]",
    "unit": "text[]",
    "issued_at": "timestamptz[]",
    "rectification_deadline": "timestamptz[]",
    "policy_version": "int[]",
    "provisional": "boolean[]",
    "case_ids": "text[]",
    "status": "text[]",
    "resolved_at": "timestamptz[]",
    "resolved_by": "text[]",
    "rectification": "text[]",
    "leg": "text[]",
    "manual": "boolean[]",
    "reason": "text[]",
    "note": "text[]",
    "issued_by": "text[]",
}


def stored_at(value: datetime) -> datetime:
    """A time read from a NOT NULL column, as an aware UTC datetime (``as_utc`` for values that are never None)."""
    at = as_utc(value)
    if at is None:
        raise ValueError("a required time is missing")
    return at


class Repository:
    """Queries on one session; the unit of work commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        return (postgresql.insert if self.is_postgres else sqlite.insert)(table)

    # --- cases and facts --------------------------------------------------------------------------------

    async def case(self, case_id: str) -> Row | None:
        return (await self.session.execute(select(cases).where(cases.c.case_id == case_id))).first()

    async def upsert_case(self, case_id: str, **values: Any) -> None:
        stmt = self._insert(cases).values(case_id=case_id, **{"cycle": 1, **values})
        if values:
            stmt = stmt.on_conflict_do_update(index_elements=[cases.c.case_id], set_=values)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=[cases.c.case_id])
        await self.session.execute(stmt)

    async def add_fact(self, event_id: str, case_id: str, fact: CaseFact) -> None:
        await self.session.execute(
            self._insert(case_facts)
            .values(
                event_id=event_id,
                case_id=case_id,
                kind=fact.kind.value,
                at=fact.at.astimezone(UTC),
                unit=fact.unit,
                channel=fact.channel,
                category=fact.category,
                urgency=fact.urgency,
            )
            .on_conflict_do_nothing(index_elements=[case_facts.c.event_id])
        )

    async def facts(self, case_id: str) -> list[CaseFact]:
        rows = await self.session.execute(
            select(case_facts).where(case_facts.c.case_id == case_id).order_by(case_facts.c.at, case_facts.c.id)
        )
        return [CaseFact(FactKind(r.kind), stored_at(r.at), r.unit, r.channel, r.category, r.urgency) for r in rows]

    async def add_case_regions(self, case_id: str, regions: Iterable[str], category: str, at: datetime) -> None:
        rows = [
            {"case_id": case_id, "region_code": r, "category": category, "received_at": at.astimezone(UTC)}
            for r in dict.fromkeys(regions)
        ]
        if rows:
            await self.session.execute(self._insert(case_regions).on_conflict_do_nothing(), rows)

    async def sightings(self, category: str, regions: Sequence[str], since: datetime, until: datetime) -> list[Row]:
        return list(
            await self.session.execute(
                select(case_regions).where(
                    case_regions.c.category == category,
                    case_regions.c.region_code.in_(regions),
                    case_regions.c.received_at > since,
                    case_regions.c.received_at <= until,
                )
            )
        )

    async def add_repeat(self, into_case_id: str, case_id: str, at: datetime) -> list[str]:
        await self.session.execute(
            self._insert(repeats)
            .values(into_case_id=into_case_id, case_id=case_id, at=at.astimezone(UTC))
            .on_conflict_do_nothing()
        )
        rows = await self.session.execute(select(repeats.c.case_id).where(repeats.c.into_case_id == into_case_id))
        return [r[0] for r in rows]

    async def add_evaluation(self, **values: Any) -> None:
        await self.session.execute(evaluations.insert().values(**values))

    async def recent_evaluations(self, unit: str, last: int) -> list[Row]:
        return list(
            await self.session.execute(
                select(evaluations)
                .where(evaluations.c.unit == unit)
                .order_by(evaluations.c.at.desc(), evaluations.c.id.desc())
                .limit(last)
            )
        )

    # --- clocks -----------------------------------------------------------------------------------------

    async def clock_rows(self, case_ids: Sequence[str], *, lock: bool = False) -> list[Row]:
        stmt = select(clocks).where(clocks.c.case_id.in_(case_ids)).order_by(clocks.c.id)
        if lock and self.is_postgres:
            stmt = stmt.with_for_update()
        return list(await self.session.execute(stmt))

    async def save_clocks(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        stmt = self._insert(clocks)
        keep = {c: getattr(stmt.excluded, c) for c in rows[0] if c not in ("case_id", "cycle", "kind", "leg")}
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[clocks.c.case_id, clocks.c.cycle, clocks.c.kind, clocks.c.leg], set_=keep
            ),
            list(rows),
        )

    async def delete_clocks(self, ids: Sequence[int]) -> None:
        if ids:
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

    # --- supervision actions ----------------------------------------------------------------------------

    async def actions_of_cases(self, case_ids: Sequence[str]) -> list[Row]:
        """The clock-driven actions of the cases (manual ones follow no clock and never steer the ladder)."""
        if not case_ids:
            return []
        t = supervision_actions
        return list(await self.session.execute(select(t).where(t.c.case_id.in_(case_ids), t.c.manual.is_(False))))

    async def insert_actions(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Insert if absent; the ids actually inserted (an id already there was fired before)."""
        if not rows:
            return set()
        if self.is_postgres:  # one statement for the whole batch: column arrays through unnest
            cols = list(rows[0])
            arrays = {c: [json.dumps(r[c]) if c == "case_ids" else r[c] for r in rows] for c in cols}
            casts = ", ".join(f"CAST(:{c} AS {_PG_ARRAY_TYPES[c]})" for c in cols)
            select_list = ", ".join(f"{c}::json" if c == "case_ids" else c for c in cols)
            result = await self.session.execute(
                text(
                    f"INSERT INTO supervision_actions ({', '.join(cols)}) SELECT {select_list} FROM unnest({casts}) "
                    f"AS v({', '.join(cols)}) ON CONFLICT (id) DO NOTHING RETURNING id"
                ),
                arrays,
            )
            return {r[0] for r in result}
        stmt = (
            self._insert(supervision_actions)
            .on_conflict_do_nothing(index_elements=[supervision_actions.c.id])
            .returning(supervision_actions.c.id)
        )
        inserted = {r[0] for r in await self.session.execute(stmt, list(rows))}
        return inserted

    async def action(self, action_id: str, *, lock: bool = False) -> Row | None:
        stmt = select(supervision_actions).where(supervision_actions.c.id == action_id)
        if lock and self.is_postgres:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).first()

    async def resolve_action(self, action_id: str, *, at: datetime, by: str, rectification: str) -> None:
        await self.session.execute(
            update(supervision_actions)
            .where(supervision_actions.c.id == action_id)
            .values(status="resolved", resolved_at=at.astimezone(UTC), resolved_by=by, rectification=rectification)
        )

    async def list_actions(
        self,
        *,
        unit: str | None,
        rung: str | None,
        status: str | None,
        offset: int,
        limit: int,
        units: Collection[str] | None = None,
        manual: bool | None = None,
    ) -> tuple[list[Row], int]:
        """Actions newest first; `units` (when given) limits them to those addressed to one of these units."""
        t = supervision_actions
        conds = [
            c
            for c in (
                t.c.unit == unit if unit else None,
                t.c.unit.in_(sorted(units)) if units is not None else None,
                t.c.rung == rung if rung else None,
                t.c.status == status if status else None,
                t.c.manual.is_(manual) if manual is not None else None,
            )
            if c is not None
        ]
        total = (await self.session.execute(select(func.count()).select_from(t).where(*conds))).scalar_one()
        rows = await self.session.execute(
            select(t).where(*conds).order_by(t.c.issued_at.desc(), t.c.id).offset(offset).limit(limit)
        )
        return list(rows), int(total)

    # --- pattern warnings -------------------------------------------------------------------------------

    async def insert_warning(self, row: dict[str, Any], recipients: Sequence[str] = ()) -> bool:
        """Insert if absent, with the further units it reaches; True when this call inserted it."""
        result = await self.session.execute(
            self._insert(pattern_warnings)
            .values(**row)
            .on_conflict_do_nothing(index_elements=[pattern_warnings.c.id])
            .returning(pattern_warnings.c.id)
        )
        inserted = result.first() is not None
        if inserted and recipients:
            await self.session.execute(
                warning_recipients.insert(), [{"warning_id": row["id"], "unit": u} for u in dict.fromkeys(recipients)]
            )
        return inserted

    async def recipients_of(self, warning_ids: Sequence[str]) -> dict[str, list[str]]:
        if not warning_ids:
            return {}
        t = warning_recipients
        rows = await self.session.execute(select(t).where(t.c.warning_id.in_(warning_ids)).order_by(t.c.unit))
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(r.warning_id, []).append(r.unit)
        return found

    async def list_warnings(
        self,
        *,
        coordination_unit: str | None,
        kind: str | None,
        offset: int,
        limit: int,
        recipient: str | None = None,
        min_level: int | None = None,
    ) -> tuple[list[Row], int]:
        """Warnings newest first, of one coordination institution and/or reaching one unit (either, when both)."""
        t = pattern_warnings
        reaching = (
            t.c.id.in_(select(warning_recipients.c.warning_id).where(warning_recipients.c.unit == recipient))
            if recipient
            else None
        )
        own = t.c.coordination_unit == coordination_unit if coordination_unit else None
        scope = or_(own, reaching) if own is not None and reaching is not None else own if own is not None else reaching
        conds = [
            c
            for c in (
                scope,
                t.c.kind == kind if kind else None,
                t.c.level >= min_level if min_level else None,
            )
            if c is not None
        ]
        total = (await self.session.execute(select(func.count()).select_from(t).where(*conds))).scalar_one()
        rows = await self.session.execute(
            select(t).where(*conds).order_by(t.c.raised_at.desc(), t.c.id).offset(offset).limit(limit)
        )
        return list(rows), int(total)

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
