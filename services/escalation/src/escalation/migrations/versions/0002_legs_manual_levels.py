"""escalation: a clock per unit's leg (transfers and assisting units get their own clocks), manual supervision
actions (no clock; reason, note, author), graded warnings and the further units a warning reaches.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _partial_clock_indexes() -> None:
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


def upgrade() -> None:
    # The partial indexes are dropped and made again around the batch: SQLite rebuilds the table to change its
    # unique constraint, and the rebuild must not keep them without their WHERE clause.
    op.drop_index("ix_clocks_next_due", "clocks")
    op.drop_index("ix_clocks_open", "clocks")
    with op.batch_alter_table("clocks") as batch:
        batch.add_column(sa.Column("leg", sa.String(120), nullable=False, server_default=""))
        batch.add_column(sa.Column("role", sa.String(20), nullable=False, server_default="holder"))
        batch.drop_constraint("uq_clocks_case_cycle_kind", type_="unique")
        batch.create_unique_constraint("uq_clocks_case_cycle_kind_leg", ["case_id", "cycle", "kind", "leg"])
    _partial_clock_indexes()
    with op.batch_alter_table("supervision_actions") as batch:
        batch.alter_column("clock_kind", existing_type=sa.String(20), nullable=True)
        batch.add_column(sa.Column("leg", sa.String(120), nullable=False, server_default=""))
        batch.add_column(sa.Column("manual", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("reason", sa.String(40), nullable=True))
        batch.add_column(sa.Column("note", sa.Text, nullable=True))
        batch.add_column(sa.Column("issued_by", sa.String(100), nullable=True))
    op.add_column("pattern_warnings", sa.Column("level", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "warning_recipients",
        sa.Column("warning_id", sa.String(36), primary_key=True),
        sa.Column("unit", sa.String(64), primary_key=True),
    )
    op.create_index("ix_warning_recipients_unit", "warning_recipients", ["unit"])


def downgrade() -> None:
    op.drop_table("warning_recipients")
    with op.batch_alter_table("pattern_warnings") as batch:
        batch.drop_column("level")
    with op.batch_alter_table("supervision_actions") as batch:
        for column in ("issued_by", "note", "reason", "manual", "leg"):
            batch.drop_column(column)
        batch.alter_column("clock_kind", existing_type=sa.String(20), nullable=False)
    op.drop_index("ix_clocks_next_due", "clocks")
    op.drop_index("ix_clocks_open", "clocks")
    with op.batch_alter_table("clocks") as batch:
        batch.drop_constraint("uq_clocks_case_cycle_kind_leg", type_="unique")
        batch.create_unique_constraint("uq_clocks_case_cycle_kind", ["case_id", "cycle", "kind"])
        batch.drop_column("role")
        batch.drop_column("leg")
    _partial_clock_indexes()
