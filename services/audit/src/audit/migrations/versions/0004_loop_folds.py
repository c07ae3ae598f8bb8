"""audit: each case's loop row keeps the loop folded over its record (case_loops.fold, .fold_seq).

The fold (``audit.domain.loop.LoopFold`` as JSON, with the digest of the policy it was folded under) is as of the
case's entry ``fold_seq``; the next status continues it with the entries after that one instead of reading and
parsing the whole record again. Rows written before this revision have none: their record is folded once, in full,
the next time their case gets an entry.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_loops", sa.Column("fold", sa.Text, nullable=True))
    op.add_column("case_loops", sa.Column("fold_seq", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_loops") as batch:
        batch.drop_column("fold_seq")
        batch.drop_column("fold")
