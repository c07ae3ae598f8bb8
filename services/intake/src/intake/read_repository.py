"""Read-side queries of intake: a case's visits, and the grid system's view of the cases it submitted."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Row, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from caseflow_common.contracts.intake import Channel
from intake.orm import case_status, cases, visits

# What the grid reads of a case: its status and the department's reply, never a requester column.
_GRID_COLUMNS = (
    cases.c.case_id,
    cases.c.external_id,
    cases.c.category,
    cases.c.urgency,
    cases.c.region_code,
    cases.c.received_at,
    cases.c.merged_into,
    case_status.c.status,
    case_status.c.unit,
    case_status.c.unit_name,
    case_status.c.cycle,
    case_status.c.clocks,
    case_status.c.updated_at,
    case_status.c.reply,
    case_status.c.reply_resolved,
    case_status.c.replied_at,
)


def _submitted_by(subject: str) -> ColumnElement[bool]:
    # Cases stored before the submitter was recorded belong to the grid channel as a whole.
    return or_(cases.c.submitted_by == subject, cases.c.submitted_by.is_(None))


def _grid_select(subject: str) -> Select[tuple[object, ...]]:
    return (
        select(*_GRID_COLUMNS)
        .join(case_status, case_status.c.case_id == cases.c.case_id)
        .where(cases.c.channel == str(Channel.GRID), _submitted_by(subject))
    )


class IntakeReads:
    """Queries behind intake's read endpoints, on the unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def visits(self, case_id: str) -> Sequence[Row]:
        """Every visit attempt of a case, cycle by cycle."""
        stmt = select(visits).where(visits.c.case_id == case_id).order_by(visits.c.cycle, visits.c.attempt)
        return (await self.session.execute(stmt)).all()

    async def grid_case(
        self, subject: str, *, case_id: str | None = None, external_id: str | None = None
    ) -> Row | None:
        """A case the grid principal submitted, by case id or by the grid's own external id; None for any other."""
        stmt = _grid_select(subject)
        if case_id is not None:
            stmt = stmt.where(cases.c.case_id == case_id)
        if external_id is not None:
            stmt = stmt.where(cases.c.external_id == external_id)
        return (await self.session.execute(stmt)).first()

    async def grid_cases(
        self, subject: str, *, statuses: list[str] | None, offset: int, limit: int
    ) -> tuple[Sequence[Row], int]:
        """One page of the cases the grid principal submitted, newest first, and how many there are."""
        stmt = _grid_select(subject)
        if statuses:
            stmt = stmt.where(case_status.c.status.in_(statuses))
        total = (await self.session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
        page = stmt.order_by(cases.c.received_at.desc(), cases.c.case_id).offset(offset).limit(limit)
        return (await self.session.execute(page)).all(), int(total)
