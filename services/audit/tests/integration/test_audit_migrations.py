"""audit's frozen migrations build exactly the tables its ORM metadata describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Integer, MetaData

import audit
from audit.orm import metadata
from caseflow_common.testing import migration_drift

MIGRATIONS = Path(audit.__file__).parent / "migrations"


async def test_the_migrations_build_what_the_metadata_says(databases):
    assert await migration_drift(metadata, MIGRATIONS, await databases.new_url("audit_drift")) == []


async def test_a_column_the_migrations_do_not_build_is_reported(databases):
    grown = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(grown)
    grown.tables["case_facts"].append_column(Column("actions_public_criticism", Integer, nullable=False))
    drift = await migration_drift(grown, MIGRATIONS, await databases.new_url("audit_drift"))
    assert drift and any("actions_public_criticism" in str(d) for d in drift)
