"""dispatch's own tables: the department-side view of each case and its routing decisions."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from caseflow_common.db import new_metadata
from caseflow_common.messaging.tables import messaging_tables

metadata = new_metadata()
outbox, processed_events, leases = messaging_tables(metadata)

work_cases = Table(
    "work_cases", metadata,
    Column("case_id", String(40), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("unit", String(40), nullable=False, index=True),
    Column("category", String(80), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("region_code", String(40), nullable=False),
    Column("description", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("returns", Integer, nullable=False, default=0),
    Column("cycle", Integer, nullable=False, default=1),
    Column("rule_id", String(80), nullable=True),
    Column("routing_version", Integer, nullable=True),
)
