"""Alembic environment of the escalation service (run through `python -m escalation migrate` or at start-up)."""

from caseflow_common.db import run_migrations_online
from escalation.orm import metadata

run_migrations_online(metadata)
