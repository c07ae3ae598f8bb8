"""audit's own tables: the append-only record of every case event."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, LargeBinary, String, Table, UniqueConstraint

from caseflow_common.db import new_metadata
from caseflow_common.messaging.tables import BigId, messaging_tables

metadata = new_metadata()
outbox, processed_events, leases = messaging_tables(metadata)

entries = Table(
    "record_entries", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("step", String(20), nullable=True),
    Column("actor_role", String(20), nullable=False),
    Column("actor_id", String(100), nullable=False),
    Column("actor_unit", String(40), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("case_id", "seq", name="uq_record_entries_case_seq"),
)
