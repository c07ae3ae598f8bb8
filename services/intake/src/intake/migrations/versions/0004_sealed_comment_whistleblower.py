"""intake: visits.comment_sealed keeps a visit's comment as given, encrypted; `comment` is redacted. cases.whistleblower
marks a whistleblower's (举报人) case, whose requester no role sees unless the settings name it.

A comment is what the requester said on the return visit and often carries a phone number or a name (GZ Art. 15;
SZ Art. 19); a whistleblower's identity is protected (GZ Art. 20). Rows stored before this revision (and descriptions
before 0003) are redacted and marked by `python -m intake redact-backfill`.

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
    op.add_column("visits", sa.Column("comment_sealed", sa.Text, nullable=True))
    op.add_column("cases", sa.Column("whistleblower", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("whistleblower")
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("comment_sealed")
