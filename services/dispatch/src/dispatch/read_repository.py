"""Queries behind the views: a unit's queue (filtered, sorted by deadline, received or updated), its summary and
changes, roles, assignments, the action log, merges, supervision, clocks, counts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from caseflow_common.db import as_utc
from dispatch.orm import (
    assignments,
    case_actions,
    case_clocks,
    case_departures,
    merged_cases,
    supervision_actions,
    work_cases,
)

wc, asg, cc = work_cases, assignments, case_clocks
# Clock states that still run out: a paused clock waits, a met one is history.
RUNNING_STATES = ("running", "breached")


@dataclass(frozen=True)
class QueueQuery:
    """What a queue read asks for: statuses (any when empty), overdue only, changed since, order and page."""

    statuses: tuple[str, ...] = ()
    overdue: bool | None = None
    updated_since: datetime | None = None
    sort: str = "received"  # deadline / received / updated
    descending: bool = True
    offset: int = 0
    limit: int = 50


def mine(unit: str) -> ColumnElement[bool]:
    """The unit's own cases: it handles them, or assists or coordinates them (an active assignment)."""
    return or_(wc.c.unit == unit, wc.c.case_id.in_(select(asg.c.case_id).where(asg.c.unit == unit, asg.c.active)))


def next_deadline(unit: str) -> Any:
    """The earliest running deadline of the case that concerns the unit: its own clocks when it has any on the case
    (an assisting unit's, a coordinating institution's), else the clocks of the unit holding it."""
    own = cc.alias("own")
    has_own = exists().where(own.c.case_id == wc.c.case_id, own.c.unit == unit)
    relevant = or_(cc.c.unit == unit, and_(cc.c.role == "holder", ~has_own))
    return (
        select(func.min(cc.c.deadline))
        .where(cc.c.case_id == wc.c.case_id, cc.c.state.in_(RUNNING_STATES), relevant)
        .scalar_subquery()
    )


class CaseReads:
    """Read-only queries of dispatch's tables (what departments and the state gauge see)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def roles_of(self, unit: str, case_ids: list[str]) -> dict[str, str]:
        """The unit's active assignment role on each of these cases."""
        if not case_ids:
            return {}
        rows = await self.session.execute(
            select(asg.c.case_id, asg.c.role).where(asg.c.unit == unit, asg.c.active, asg.c.case_id.in_(case_ids))
        )
        return {case_id: role for case_id, role in rows}

    async def assignments_of(self, case_id: str) -> list[dict[str, Any]]:
        """Active assignments of the case."""
        rows = await self.session.execute(
            select(asg.c.unit, asg.c.role, asg.c.cycle, asg.c.assigned_at)
            .where(asg.c.case_id == case_id, asg.c.active)
            .order_by(asg.c.role)
        )
        return [{**r._mapping, "assigned_at": as_utc(r.assigned_at)} for r in rows]

    async def queue(self, unit: str, query: QueueQuery, now: datetime) -> tuple[Sequence[Row[Any]], int]:
        """One page of the unit's own cases (handler, assisting or coordinating) as asked, with the total."""
        due = next_deadline(unit)
        where: list[ColumnElement[bool]] = [mine(unit)]
        if query.statuses:
            where.append(wc.c.status.in_(query.statuses))
        if query.overdue is not None:
            where.append(due < now if query.overdue else or_(due.is_(None), due >= now))
        if query.updated_since is not None:
            where.append(wc.c.updated_at >= query.updated_since)
        key = {"deadline": due, "received": wc.c.received_at, "updated": wc.c.updated_at}[query.sort]
        order = (key.desc() if query.descending else key.asc()).nulls_last()
        total = (await self.session.execute(select(func.count()).select_from(wc).where(*where))).scalar_one()
        rows = (
            await self.session.execute(
                select(wc).where(*where).order_by(order, wc.c.case_id).offset(query.offset).limit(query.limit)
            )
        ).all()
        return rows, total

    async def changed_since(self, unit: str, after: int, limit: int) -> Sequence[Row[Any]]:
        """The unit's cases whose latest change comes after change number `after`, in change order."""
        rows = await self.session.execute(
            select(wc).where(mine(unit), wc.c.change_seq > after).order_by(wc.c.change_seq).limit(limit)
        )
        return rows.all()

    async def departed_since(self, unit: str, after: int, limit: int) -> list[tuple[str, int]]:
        """(case, change number) of the cases that left the unit after change `after` and are not its own now."""
        t = case_departures
        rows = await self.session.execute(
            select(t.c.case_id, t.c.change_seq)
            .where(t.c.unit == unit, t.c.change_seq > after, t.c.case_id.not_in(select(wc.c.case_id).where(mine(unit))))
            .order_by(t.c.change_seq)
            .limit(limit)
        )
        return [(case_id, int(seq)) for case_id, seq in rows]

    async def latest_change(self) -> int:
        """The newest change number handed out (0 before any)."""
        return int((await self.session.execute(select(func.coalesce(func.max(wc.c.change_seq), 0)))).scalar_one())

    async def clocks_of(self, case_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        """The stored clocks of each case, in the order escalation published them."""
        if not case_ids:
            return {}
        rows = await self.session.execute(
            select(cc.c.case_id, cc.c.kind, cc.c.unit, cc.c.role, cc.c.cycle, cc.c.state, cc.c.deadline, cc.c.met_at)
            .where(cc.c.case_id.in_(list(case_ids)))
            .order_by(cc.c.case_id, cc.c.position)
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            clock = {k: as_utc(v) if isinstance(v, datetime) else v for k, v in r._mapping.items() if k != "case_id"}
            out.setdefault(r.case_id, []).append(clock)
        return out

    async def open_supervision_of(self, case_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
        """The open supervision actions (催办 and up) on each case, oldest first."""
        if not case_ids:
            return {}
        t = supervision_actions
        rows = await self.session.execute(
            select(t.c.case_id, t.c.action_id, t.c.rung, t.c.unit, t.c.issued_at, t.c.deadline)
            .where(t.c.case_id.in_(list(case_ids)), t.c.kind == "supervision", t.c.status == "open")
            .order_by(t.c.issued_at, t.c.action_id)
        )
        out: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            out.setdefault(r.case_id, []).append(
                {
                    "action_id": r.action_id,
                    "rung": r.rung,
                    "unit": r.unit,
                    "issued_at": as_utc(r.issued_at),
                    "rectification_deadline": as_utc(r.deadline),
                }
            )
        return out

    async def unit_summary(self, unit: str, now: datetime, day_end: datetime) -> dict[str, Any]:
        """The unit's cases by status, how many are overdue and how many fall due before `day_end`, and the open
        supervision actions addressed to it by rung."""
        due = next_deadline(unit)
        by_status: dict[str, int] = dict(
            (
                await self.session.execute(select(wc.c.status, func.count()).where(mine(unit)).group_by(wc.c.status))
            ).all()
        )
        overdue = (
            await self.session.execute(select(func.count()).select_from(wc).where(mine(unit), due < now))
        ).scalar_one()
        today = (
            await self.session.execute(
                select(func.count()).select_from(wc).where(mine(unit), due >= now, due < day_end)
            )
        ).scalar_one()
        t = supervision_actions
        by_rung: dict[str, int] = dict(
            (
                await self.session.execute(
                    select(t.c.rung, func.count(func.distinct(t.c.action_id)))
                    .where(t.c.unit == unit, t.c.kind == "supervision", t.c.status == "open")
                    .group_by(t.c.rung)
                )
            ).all()
        )
        return {"by_status": by_status, "overdue": overdue, "due_today": today, "open_supervision": by_rung}

    async def count_by_state(self) -> dict[str, int]:
        """How many cases sit in each state."""
        rows = await self.session.execute(select(wc.c.status, func.count()).group_by(wc.c.status))
        return {status: n for status, n in rows}

    async def actions_of(self, case_id: str) -> list[dict[str, Any]]:
        """The case's action log in order."""
        t = case_actions
        rows = await self.session.execute(
            select(t.c.action, t.c.cycle, t.c.unit, t.c.actor_role, t.c.at, t.c.detail)
            .where(t.c.case_id == case_id)
            .order_by(t.c.id)
        )
        return [{**r._mapping, "at": as_utc(r.at)} for r in rows]

    async def merged_into(self, into_case_id: str) -> list[str]:
        """Ids of the repeat cases merged into this one, oldest first."""
        t = merged_cases
        rows = await self.session.execute(
            select(t.c.case_id).where(t.c.into_case_id == into_case_id).order_by(t.c.received_at, t.c.case_id)
        )
        return list(rows.scalars())

    async def alerts_of(self, case_id: str) -> list[dict[str, Any]]:
        """Supervision actions and SLA warnings attached to the case."""
        t = supervision_actions
        rows = await self.session.execute(
            select(
                t.c.action_id,
                t.c.kind,
                t.c.rung,
                t.c.unit,
                t.c.status,
                t.c.clock_kind,
                t.c.deadline,
                t.c.issued_at,
                t.c.resolved_at,
            )
            .where(t.c.case_id == case_id)
            .order_by(t.c.issued_at)
        )
        return [{k: as_utc(v) if isinstance(v, datetime) else v for k, v in r._mapping.items()} for r in rows]
