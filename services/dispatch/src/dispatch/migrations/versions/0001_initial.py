"""dispatch: messaging tables and work cases.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from caseflow_common.messaging.tables import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "work_cases",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("category", sa.String(80), nullable=False),
        sa.Column("urgency", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("region_code", sa.String(40), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("returns", sa.Integer, nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("rule_id", sa.String(80), nullable=True),
        sa.Column("routing_version", sa.Integer, nullable=True),
    )
    op.create_index("ix_work_cases_unit", "work_cases", ["unit"])


def downgrade() -> None:
    op.drop_table("work_cases")
    drop_messaging_tables(op)
