"""SQL of the escalation service: cases and facts, clocks (durable timers), versions; actions and warnings in
supervision_repository."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, case, func, select, text, update

from escalation.domain.replay import CaseFact, FactKind
from escalation.orm import (
    calendar_versions,
    case_facts,
    case_regions,
    cases,
    clocks,
    evaluations,
    policy_versions,
    repeats,
)
from escalation.queries import stored_at
from escalation.supervision_repository import SupervisionQueries

__all__ = ["CALENDAR_VERSIONS", "POLICY_VERSIONS", "Repository", "stored_at"]


class Repository(SupervisionQueries):
    """Every query of escalation on one session; the unit of work commits."""

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
