"""Alembic environment of the audit service (run through `python -m audit migrate` or at start-up)."""

from caseflow_common.db import run_migrations_online
from audit.orm import metadata

run_migrations_online(metadata)
