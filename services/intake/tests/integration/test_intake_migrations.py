"""intake's frozen migrations build exactly the tables its ORM metadata describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

import intake
from caseflow_common.testing import migration_drift
from intake.orm import metadata

MIGRATIONS = Path(intake.__file__).parent / "migrations"


async def test_the_migrations_build_what_the_orm_describes(databases):
    assert await migration_drift(metadata, MIGRATIONS, await databases.new_url("migrations")) == []


async def test_the_drift_check_sees_a_column_the_migrations_lack(databases):
    changed = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["cases"].append_column(sa.Column("source_ref", sa.String(64), nullable=True))
    drift = await migration_drift(changed, MIGRATIONS, await databases.new_url("drift"))
    assert [(d[0], d[2], d[3].name) for d in drift] == [("add_column", "cases", "source_ref")]
