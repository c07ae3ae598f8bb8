"""Stored versions of the directory (``directory_versions``) and the cases a retired unit still holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from caseflow_common.db import as_utc
from dispatch.orm import directory_versions, work_cases

wc = work_cases


class DirectoryRepository:
    """Stored versions of the directory: the seed (version 1) and one change per later version."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest_version(self) -> int | None:
        """The newest stored version, or None before seeding."""
        return (await self.session.execute(select(func.max(directory_versions.c.version)))).scalar_one_or_none()

    async def since(self, version: int) -> list[dict[str, Any]]:
        """Every stored version after ``version``, oldest first."""
        t = directory_versions
        rows = await self.session.execute(select(t).where(t.c.version > version).order_by(t.c.version))
        return [_directory_row(row) for row in rows]

    async def get(self, version: int) -> dict[str, Any] | None:
        """One stored version, or None."""
        t = directory_versions
        row = (await self.session.execute(select(t).where(t.c.version == version))).first()
        return _directory_row(row) if row is not None else None

    async def add(
        self, version: int, *, op: str, code: str, data: dict[str, Any], effective_from: datetime, at: datetime, by: str
    ) -> None:
        """Store a new version (a concurrent writer of the same version fails on the primary key)."""
        await self.session.execute(
            insert(directory_versions).values(
                version=version,
                op=op,
                code=code,
                data=data,
                effective_from=effective_from,
                created_at=at,
                created_by=by,
                applied_at=None,
            )
        )

    async def due(self, now: datetime) -> list[int]:
        """Versions in force by ``now`` whose effects have not run yet, oldest first."""
        t = directory_versions
        rows = await self.session.execute(
            select(t.c.version).where(t.c.applied_at.is_(None), t.c.effective_from <= now).order_by(t.c.version)
        )
        return list(rows.scalars())

    async def mark_applied(self, version: int, at: datetime) -> bool:
        """Claim a due version as applied; False when another replica did it first."""
        t = directory_versions
        stmt = update(t).where(t.c.version == version, t.c.applied_at.is_(None)).values(applied_at=at)
        result = cast(CursorResult[Any], await self.session.execute(stmt))
        return result.rowcount == 1

    async def open_cases_of(self, unit: str, *, limit: int) -> list[str]:
        """Cases the unit holds that are not closed or merged (a retired unit's cases to re-route)."""
        rows = await self.session.execute(
            select(wc.c.case_id)
            .where(wc.c.unit == unit, wc.c.status.notin_(("closed", "merged")))
            .order_by(wc.c.case_id)
            .limit(limit)
        )
        return list(rows.scalars())


def _directory_row(row: Any) -> dict[str, Any]:
    values = dict(row._mapping)
    for name in ("effective_from", "created_at", "applied_at"):
        values[name] = as_utc(values[name]) if values[name] is not None else None
    return values
