"""Queries behind the views: a unit's queue, roles, assignments, the action log, merges, supervision, counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from caseflow_common.db import as_utc
from dispatch.orm import assignments, case_actions, merged_cases, supervision_actions, work_cases

wc, asg = work_cases, assignments


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

    async def queue(self, unit: str, *, status: str | None, offset: int, limit: int) -> tuple[Sequence[Row[Any]], int]:
        """The unit's own cases (handler, assisting or coordinating), newest first, with the total."""
        mine = or_(wc.c.unit == unit, wc.c.case_id.in_(select(asg.c.case_id).where(asg.c.unit == unit, asg.c.active)))
        where = and_(mine, wc.c.status == status) if status else mine
        total = (await self.session.execute(select(func.count()).select_from(wc).where(where))).scalar_one()
        rows = (
            await self.session.execute(
                select(wc).where(where).order_by(wc.c.received_at.desc(), wc.c.case_id).offset(offset).limit(limit)
            )
        ).all()
        return rows, total

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
