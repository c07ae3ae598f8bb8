"""escalation: messaging tables, case facts, clocks (durable timers), supervision actions, pattern warnings,
evaluations, policy and calendar versions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from caseflow_common.messaging.tables import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen here: a 64-bit key on PostgreSQL, SQLite's INTEGER PRIMARY KEY (its rowid) there.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

TABLES = (
    "calendar_versions",
    "policy_versions",
    "evaluations",
    "repeats",
    "pattern_warnings",
    "supervision_actions",
    "clocks",
    "case_regions",
    "case_facts",
    "cases",
)


def upgrade() -> None:
    create_messaging_tables_v1(op)
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("urgency", sa.String(20), nullable=True),
        sa.Column("region_code", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("merged_into", sa.String(64), nullable=True),
    )
    op.create_table(
        "case_facts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("urgency", sa.String(20), nullable=True),
    )
    op.create_index("ix_case_facts_case_id", "case_facts", ["case_id"])
    op.create_table(
        "case_regions",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("region_code", sa.String(64), primary_key=True),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_regions_window", "case_regions", ["category", "region_code", "received_at"])
    op.create_table(
        "clocks",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.Float, nullable=False),
        sa.Column("time_unit", sa.String(20), nullable=False),
        sa.Column("warn_fraction", sa.Float, nullable=False),
        sa.Column("policy_version", sa.Integer, nullable=False),
        sa.Column("pauses", sa.JSON, nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("case_id", "cycle", "kind", name="uq_clocks_case_cycle_kind"),
    )
    op.create_index(
        "ix_clocks_next_due",
        "clocks",
        ["next_due_at"],
        postgresql_where=sa.text("next_due_at IS NOT NULL"),
        sqlite_where=sa.text("next_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_clocks_open",
        "clocks",
        ["provisional"],
        postgresql_where=sa.text("met_at IS NULL"),
        sqlite_where=sa.text("met_at IS NULL"),
    )
    op.create_table(
        "supervision_actions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("clock_kind", sa.String(20), nullable=False),
        sa.Column("rung", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rectification_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy_version", sa.Integer, nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("case_ids", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.Column("rectification", sa.Text, nullable=True),
    )
    op.create_index("ix_supervision_actions_case_id", "supervision_actions", ["case_id"])
    op.create_index("ix_supervision_actions_unit_status", "supervision_actions", ["unit", "status"])
    op.create_table(
        "pattern_warnings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("coordination_unit", sa.String(64), nullable=True),
        sa.Column("region_code", sa.String(64), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("rate", sa.Float, nullable=True),
        sa.Column("case_ids", sa.JSON, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_pattern_warnings_coordination_unit", "pattern_warnings", ["coordination_unit"])
    op.create_table(
        "repeats",
        sa.Column("into_case_id", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "evaluations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("satisfaction", sa.String(30), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_evaluations_unit_at", "evaluations", ["unit", "at"])
    op.create_table(
        "policy_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "calendar_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)
    drop_messaging_tables_v1(op)
