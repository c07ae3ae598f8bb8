"""audit: case_facts.actions_other counts supervision actions of a rung this build does not know (read as `other`).

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
    op.add_column("case_facts", sa.Column("actions_other", sa.Integer, nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("case_facts") as batch:
        batch.drop_column("actions_other")
