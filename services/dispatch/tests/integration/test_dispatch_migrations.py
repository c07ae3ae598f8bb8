"""dispatch's frozen migrations build exactly the tables its ORM metadata describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, MetaData, String

import dispatch
from caseflow_common.db import NAMING
from caseflow_common.testing import migration_drift
from dispatch.orm import metadata

MIGRATIONS = Path(dispatch.__file__).parent / "migrations"


async def test_the_migrations_build_what_the_metadata_describes(databases):
    assert await migration_drift(metadata, MIGRATIONS, await databases.new_url("dispatch_drift")) == []


async def test_the_drift_check_sees_a_column_the_migrations_do_not_create(databases):
    changed = MetaData(naming_convention=NAMING)
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["work_cases"].append_column(Column("priority", String(20), nullable=True))
    drift = await migration_drift(changed, MIGRATIONS, await databases.new_url("dispatch_drift"))
    assert [d[0] for d in drift] == ["add_column"] and drift[0][3].name == "priority"
