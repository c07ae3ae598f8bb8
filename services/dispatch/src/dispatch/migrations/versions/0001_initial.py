"""dispatch: messaging tables, work cases, routing versions, assignments, action log, merges, supervision.

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


def upgrade() -> None:
    create_messaging_tables_v1(op)
    op.create_table(
        "work_cases",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(40), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("returns", sa.Integer, nullable=False),
        sa.Column("transfers", sa.Integer, nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("replied", sa.Boolean, nullable=False),
        sa.Column("resolved", sa.Boolean, nullable=True),
        sa.Column("coordination_unit", sa.String(40), nullable=True),
        sa.Column("needs_coordination", sa.Boolean, nullable=False),
        sa.Column("suspended_from", sa.String(20), nullable=True),
        sa.Column("merged_into", sa.String(40), nullable=True),
        sa.Column("category", sa.String(80), nullable=False),
        sa.Column("urgency", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("region_code", sa.String(40), nullable=False),
        sa.Column("district_code", sa.String(40), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("requester_name", sa.String(80), nullable=True),
        sa.Column("requester_phone", sa.String(40), nullable=True),
        sa.Column("rule_id", sa.String(120), nullable=True),
        sa.Column("routing_version", sa.Integer, nullable=True),
        sa.Column("routing_reason", sa.String(30), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
    )
    op.create_index("ix_work_cases_unit_status", "work_cases", ["unit", "status"])
    op.create_index("ix_work_cases_status", "work_cases", ["status"])
    op.create_table(
        "routing_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("unit", sa.String(40), primary_key=True),
        sa.Column("cycle", sa.Integer, primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_assignments_unit_active", "assignments", ["unit", "active"])
    op.create_table(
        "case_actions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(40), nullable=True),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.String(120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_case_actions_case_id", "case_actions", ["case_id"])
    op.create_table(
        "merged_cases",
        sa.Column("into_case_id", sa.String(40), primary_key=True),
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "supervision_actions",
        sa.Column("action_id", sa.String(60), primary_key=True),
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("rung", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(40), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("clock_kind", sa.String(40), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    for name in (
        "supervision_actions",
        "merged_cases",
        "case_actions",
        "assignments",
        "routing_versions",
        "work_cases",
    ):
        op.drop_table(name)
    drop_messaging_tables_v1(op)
