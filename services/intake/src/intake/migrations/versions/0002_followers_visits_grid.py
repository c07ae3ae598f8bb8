"""intake: the submitting principal of a case, the latest reply on the projection, repeated visit attempts.

- cases.submitted_by: the grid system reads back the cases it submitted (GZ Art. 16).
- case_status.reply / reply_resolved / replied_at: the department's latest reply, taken over by merged requests.
- visits.attempt: several attempts per cycle (联系不上 ones first), at most one that reached the requester.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("submitted_by", sa.String(120), nullable=True))
    op.create_index("ix_cases_channel_submitted_by", "cases", ["channel", "submitted_by"])
    op.add_column("case_status", sa.Column("reply", sa.Text, nullable=True))
    op.add_column("case_status", sa.Column("reply_resolved", sa.Boolean, nullable=True))
    op.add_column("case_status", sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer, nullable=False, server_default=sa.text("1")))
        batch.drop_constraint("uq_visits_case_id_cycle", type_="unique")
        batch.create_unique_constraint("uq_visits_case_id_cycle_attempt", ["case_id", "cycle", "attempt"])
    op.create_index(
        "uq_visits_reached",
        "visits",
        ["case_id", "cycle"],
        unique=True,
        sqlite_where=sa.text("contacted"),
        postgresql_where=sa.text("contacted"),
    )


def downgrade() -> None:
    op.drop_index("uq_visits_reached", table_name="visits")
    with op.batch_alter_table("visits") as batch:
        batch.drop_constraint("uq_visits_case_id_cycle_attempt", type_="unique")
        batch.drop_column("attempt")
        batch.create_unique_constraint("uq_visits_case_id_cycle", ["case_id", "cycle"])
    with op.batch_alter_table("case_status") as batch:
        for name in ("replied_at", "reply_resolved", "reply"):
            batch.drop_column(name)
    op.drop_index("ix_cases_channel_submitted_by", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("submitted_by")
