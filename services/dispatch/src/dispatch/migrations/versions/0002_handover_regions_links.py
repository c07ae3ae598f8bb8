"""dispatch: work_cases remember who returned the case, where it came from and why, every region of the report,
and the linked police case (returns never bounce, reasons travel, GZ Art. 20 ¶3; SZ Art. 28 ¶2).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    ("region_codes", sa.JSON),
    ("returned_by", sa.JSON),
    ("handed_over_by", sa.String(40)),
    ("handover_reason", sa.Text),
    ("police_case_id", sa.String(40)),
    ("linked_case_id", sa.String(40)),
)


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("work_cases", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_cases") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
