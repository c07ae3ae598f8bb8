"""dispatch: the clocks escalation publishes for each case, each case's place in the change sequence and the units
a case left (queue items carry their deadlines; the live stream resumes from a change id and tells a unit a case
is gone).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("work_cases", sa.Column("change_seq", sa.BigInteger, nullable=True))
    op.create_index("ix_work_cases_change_seq", "work_cases", ["change_seq"])
    op.create_table(
        "case_clocks",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(40), nullable=True),
        sa.Column("role", sa.String(20), nullable=True),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_clocks_deadline", "case_clocks", ["deadline"])
    op.create_table(
        "case_departures",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("unit", sa.String(40), primary_key=True),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_case_departures_unit_change_seq", "case_departures", ["unit", "change_seq"])


def downgrade() -> None:
    op.drop_index("ix_case_departures_unit_change_seq", table_name="case_departures")
    op.drop_table("case_departures")
    op.drop_index("ix_case_clocks_deadline", table_name="case_clocks")
    op.drop_table("case_clocks")
    op.drop_index("ix_work_cases_change_seq", table_name="work_cases")
    with op.batch_alter_table("work_cases") as batch:
        batch.drop_column("change_seq")
