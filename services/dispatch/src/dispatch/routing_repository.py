"""Stored versions of the routing table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from caseflow_common.db import as_utc
from dispatch.orm import routing_versions


class RoutingRepository:
    """Stored versions of the routing table (the file is version 1's seed)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest_version(self) -> int | None:
        """The newest stored version, or None before seeding."""
        return (await self.session.execute(select(func.max(routing_versions.c.version)))).scalar_one_or_none()

    async def get(self, version: int) -> dict[str, Any] | None:
        """One stored version: version, rules, created_at, created_by."""
        row = (
            await self.session.execute(select(routing_versions).where(routing_versions.c.version == version))
        ).first()
        if row is None:
            return None
        return {**row._mapping, "created_at": as_utc(row.created_at)}

    async def add(self, version: int, rules: list[dict[str, Any]], *, at: datetime, by: str) -> None:
        """Store a new version."""
        await self.session.execute(
            insert(routing_versions).values(version=version, rules=rules, created_at=at, created_by=by)
        )
