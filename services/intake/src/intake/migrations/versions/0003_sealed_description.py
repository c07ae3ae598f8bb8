"""intake: cases.description_sealed keeps the description as given, encrypted; `description` is redacted.

Phone numbers, ID numbers, e-mail addresses and names typed into a description are personal information (GZ Art. 15;
SZ Art. 19): departments and the public read the redacted text, the hotline the original.

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
    op.add_column("cases", sa.Column("description_sealed", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("description_sealed")
