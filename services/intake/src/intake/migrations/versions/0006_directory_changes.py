"""intake: the directory versions dispatch published (units and regions added, renamed, retired, each in force from its
effective date; GZ Art. 5; SZ Art. 8), kept so every replica and a restart read the same directory.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_changes",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("directory_changes")
