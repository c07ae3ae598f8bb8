"""intake: messaging tables, cases, requesters, counters, the status projection, visits.

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
        sa.Column("grid_code", sa.String(40), nullable=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("reporter_id", sa.String(64), nullable=True),
        sa.Column("withheld", sa.Boolean, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_into", sa.String(40), nullable=True),
        sa.UniqueConstraint("channel", "external_id", name="uq_cases_channel_external_id"),
    )
    op.create_index("ix_cases_category_grid", "cases", ["category", "grid_code"])
    op.create_index("ix_cases_category_received", "cases", ["category", "received_at"])
    op.create_index("ix_cases_merged_into", "cases", ["merged_into"])
    op.create_table(
        "requesters",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("name_encrypted", sa.String(600), nullable=True),
        sa.Column("phone_encrypted", sa.String(400), nullable=True),
        sa.Column("phone_hash", sa.String(64), nullable=True),
        sa.Column("anonymous", sa.Boolean, nullable=False),
    )
    op.create_index("ix_requesters_phone_hash", "requesters", ["phone_hash"])
    op.create_table(
        "counters", sa.Column("name", sa.String(40), primary_key=True), sa.Column("value", sa.Integer, nullable=False)
    )
    op.create_table(
        "case_status",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(60), nullable=True),
        sa.Column("unit_name", sa.String(200), nullable=True),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("clocks", sa.Text, nullable=False),
        sa.Column("clocks_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_status_status", "case_status", ["status"])
    op.create_table(
        "case_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit", sa.String(60), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("cycle", sa.Integer, nullable=False),
    )
    op.create_index("ix_case_steps_case_id", "case_steps", ["case_id"])
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("contacted", sa.Boolean, nullable=False),
        sa.Column("satisfaction", sa.String(30), nullable=True),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "cycle", name="uq_visits_case_id_cycle"),
    )


def downgrade() -> None:
    for name in ("visits", "case_steps", "case_status", "counters", "requesters", "cases"):
        op.drop_table(name)
    drop_messaging_tables_v1(op)
