"""intake's own tables: cases, requester identities (kept apart from the case body), counters."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text, UniqueConstraint

from caseflow_common.db import new_metadata
from caseflow_common.messaging.tables import messaging_tables

metadata = new_metadata()
outbox, processed_events, leases = messaging_tables(metadata)

cases = Table(
    "cases", metadata,
    Column("case_id", String(40), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("category", String(80), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("region_code", String(40), nullable=False),
    Column("address", String(200), nullable=False, default=""),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    UniqueConstraint("channel", "external_id", name="uq_cases_channel_external_id"),
)

requesters = Table(
    "requesters", metadata,
    Column("case_id", String(40), primary_key=True),
    Column("name", String(200), nullable=True),
    Column("phone", String(400), nullable=True),
    Column("anonymous", Boolean, nullable=False, default=False),
)

counters = Table(
    "counters", metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)
