"""intake: Open311's optional fields are kept — media_url and the attribute answers on the case, the requester's
e-mail, device id and account id encrypted beside the name (GZ Art. 15; SZ Art. 19: never published).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("media_url", sa.String(2000), nullable=True))
    op.add_column("cases", sa.Column("attributes", sa.Text, nullable=True))
    op.add_column("requesters", sa.Column("email_encrypted", sa.Text, nullable=True))
    op.add_column("requesters", sa.Column("device_id_encrypted", sa.Text, nullable=True))
    op.add_column("requesters", sa.Column("account_id_encrypted", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requesters") as batch:
        batch.drop_column("account_id_encrypted")
        batch.drop_column("device_id_encrypted")
        batch.drop_column("email_encrypted")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("attributes")
        batch.drop_column("media_url")
