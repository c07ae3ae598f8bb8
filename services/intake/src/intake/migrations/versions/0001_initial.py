"""intake: messaging tables, cases, requesters, counters.

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
        "cases",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("category", sa.String(80), nullable=False),
        sa.Column("urgency", sa.String(20), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("region_code", sa.String(40), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.UniqueConstraint("channel", "external_id", name="uq_cases_channel_external_id"),
    )
    op.create_table(
        "requesters",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(400), nullable=True),
        sa.Column("anonymous", sa.Boolean, nullable=False),
    )
    op.create_table("counters", sa.Column("name", sa.String(40), primary_key=True),
                    sa.Column("value", sa.Integer, nullable=False))


def downgrade() -> None:
    for name in ("counters", "requesters", "cases"):
        op.drop_table(name)
    drop_messaging_tables(op)
