"""escalation's own tables: case facts (for replay), clocks as durable timers, actions, warnings, versions."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from caseflow_common.db import new_metadata
from caseflow_common.directory_copy import directory_changes_table
from caseflow_common.messaging.tables import BigId, messaging_tables

metadata = new_metadata()
outbox, processed_events, leases = messaging_tables(metadata)
# The directory versions dispatch published (GZ Art. 5; SZ Art. 8), read back into the coordination map (0003).
directory_changes = directory_changes_table(metadata)

Ts = DateTime(timezone=True)

# What escalation knows of a case: how its policy is chosen, where it is, who holds it now.
cases = Table(
    "cases",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("channel", String(20), nullable=True),
    Column("category", String(100), nullable=True),
    Column("urgency", String(20), nullable=True),
    Column("region_code", String(64), nullable=True),
    Column("received_at", Ts, nullable=True),
    Column("unit", String(64), nullable=True),
    Column("cycle", Integer, nullable=False, default=1),
    Column("merged_into", String(64), nullable=True),
)

# The clock-relevant facts of each case, kept so clocks can be replayed under a new calendar or policy.
case_facts = Table(
    "case_facts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("at", Ts, nullable=False),
    Column("unit", String(64), nullable=True),
    Column("channel", String(20), nullable=True),
    Column("category", String(100), nullable=True),
    Column("urgency", String(20), nullable=True),
)

# A case counted in each region of its path, for hotspot windows.
case_regions = Table(
    "case_regions",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("region_code", String(64), primary_key=True),
    Column("category", String(100), nullable=False),
    Column("received_at", Ts, nullable=False),
)
Index("ix_case_regions_window", case_regions.c.category, case_regions.c.region_code, case_regions.c.received_at)

# One row per (case, cycle, clock kind, leg): the clock's facts plus the durable timer `next_due_at`.  A leg is one
# unit's stretch with the case in a cycle ("" for the first unit; later holders and assisting units have their own).
clocks = Table(
    "clocks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(64), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("unit", String(64), nullable=True),
    Column("started_at", Ts, nullable=False),
    Column("amount", Float, nullable=False),
    Column("time_unit", String(20), nullable=False),
    Column("warn_fraction", Float, nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("pauses", JSON, nullable=False),
    Column("met_at", Ts, nullable=True),
    Column("deadline", Ts, nullable=False),
    Column("warn_at", Ts, nullable=True),
    Column("provisional", Boolean, nullable=False, default=False),
    Column("next_due_at", Ts, nullable=True),
    Column("leg", String(120), nullable=False, default="", server_default=""),
    Column("role", String(20), nullable=False, default="holder", server_default="holder"),
    UniqueConstraint("case_id", "cycle", "kind", "leg", name="uq_clocks_case_cycle_kind_leg"),
)
# Only clocks with something still to fire are indexed, so a pass costs what is due, not what is open.
Index(
    "ix_clocks_next_due",
    clocks.c.next_due_at,
    postgresql_where=clocks.c.next_due_at.isnot(None),
    sqlite_where=clocks.c.next_due_at.isnot(None),
)
Index(
    "ix_clocks_open",
    clocks.c.provisional,
    postgresql_where=clocks.c.met_at.is_(None),
    sqlite_where=clocks.c.met_at.is_(None),
)

# Supervision actions (GZ Art. 48; SZ Art. 56); the deterministic id makes a second firing a no-op.  A manual one
# (a supervisor's decision, GZ Art. 48 (1)-(6)) has no clock: its reason, note and author say why and who.
supervision_actions = Table(
    "supervision_actions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(64), nullable=False, index=True),
    Column("cycle", Integer, nullable=False),
    Column("clock_kind", String(20), nullable=True),
    Column("rung", String(20), nullable=False),
    Column("unit", String(64), nullable=True),
    Column("issued_at", Ts, nullable=False),
    Column("rectification_deadline", Ts, nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("provisional", Boolean, nullable=False, default=False),
    Column("case_ids", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("resolved_at", Ts, nullable=True),
    Column("resolved_by", String(100), nullable=True),
    Column("rectification", Text, nullable=True),
    Column("leg", String(120), nullable=False, default="", server_default=""),
    Column("manual", Boolean, nullable=False, default=False, server_default=false()),
    Column("reason", String(40), nullable=True),
    Column("note", Text, nullable=True),
    Column("issued_by", String(100), nullable=True),
)
Index("ix_supervision_actions_unit_status", supervision_actions.c.unit, supervision_actions.c.status)

pattern_warnings = Table(
    "pattern_warnings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("coordination_unit", String(64), nullable=True, index=True),
    Column("region_code", String(64), nullable=True),
    Column("category", String(100), nullable=True),
    Column("unit", String(64), nullable=True),
    Column("window_start", Ts, nullable=False),
    Column("window_end", Ts, nullable=False),
    Column("count", Integer, nullable=False),
    Column("rate", Float, nullable=True),
    Column("case_ids", JSON, nullable=False),
    Column("raised_at", Ts, nullable=False),
    Column("level", Integer, nullable=False, default=1, server_default="1"),
)

# Units a warning reaches besides its coordination institution (SZ Art. 21: the area's public security).
warning_recipients = Table(
    "warning_recipients",
    metadata,
    Column("warning_id", String(36), primary_key=True),
    Column("unit", String(64), primary_key=True),
)
Index("ix_warning_recipients_unit", warning_recipients.c.unit)

repeats = Table(
    "repeats",
    metadata,
    Column("into_case_id", String(64), primary_key=True),
    Column("case_id", String(64), primary_key=True),
    Column("at", Ts, nullable=False),
)

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(64), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("unit", String(64), nullable=False),
    Column("satisfaction", String(30), nullable=False),
    Column("at", Ts, nullable=False),
)
Index("ix_evaluations_unit_at", evaluations.c.unit, evaluations.c.at)

# Versioned configuration documents (GET/PUT /v1/admin/policies and /v1/admin/calendar).
policy_versions = Table(
    "policy_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", JSON, nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("created_by", String(100), nullable=False),
)
calendar_versions = Table(
    "calendar_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", JSON, nullable=False),
    Column("created_at", Ts, nullable=False),
    Column("created_by", String(100), nullable=False),
)
