"""Alembic environment of the intake service (run through `python -m intake migrate` or at start-up)."""

from caseflow_common.db import run_migrations_online
from intake.orm import metadata

run_migrations_online(metadata)
