"""Alembic environment of the dispatch service (run through `python -m dispatch migrate` or at start-up)."""

from caseflow_common.db import run_migrations_online
from dispatch.orm import metadata

run_migrations_online(metadata)
