"""Alembic environment of the audit service (run through `python -m audit migrate` or at start-up)."""

from audit.orm import metadata
from caseflow_common.db import run_migrations_online

run_migrations_online(metadata)
