"""dispatch: the directory as a versioned log of changes (units and regions added, renamed, retired, each in force
from an effective date; GZ Art. 5; SZ Art. 8).

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
    op.create_table(
        "directory_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("op", sa.String(20), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_directory_versions_applied_at", "directory_versions", ["applied_at"])


def downgrade() -> None:
    op.drop_index("ix_directory_versions_applied_at", table_name="directory_versions")
    op.drop_table("directory_versions")
