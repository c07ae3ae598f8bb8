"""The base of escalation's query classes: one session, its dialect, an upsert-capable insert, stored times."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from caseflow_common.db import as_utc


def stored_at(value: datetime) -> datetime:
    """A time read from a NOT NULL column, as an aware UTC datetime (``as_utc`` for values that are never None)."""
    at = as_utc(value)
    if at is None:
        raise ValueError("a required time is missing")
    return at


class Queries:
    """Queries on one session; the unit of work commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        return (postgresql.insert if self.is_postgres else sqlite.insert)(table)
