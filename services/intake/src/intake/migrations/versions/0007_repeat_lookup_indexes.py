"""intake: indexes for the repeat-request lookup (重复诉求), one per shape of place, so the lookup reads the cases at the
report's place and not every case of its category (the cost grew with the day).

- the grid shape: (category, grid_code, received_at) replaces (category, grid_code): the earliest open cases of a
  grid come in index order, with no sort;
- the box shape: (category, lat, lon): a range on latitude, longitude checked in the index.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_category_grid_received", "cases", ["category", "grid_code", "received_at"])
    op.drop_index("ix_cases_category_grid", table_name="cases")
    op.create_index("ix_cases_category_lat_lon", "cases", ["category", "lat", "lon"])


def downgrade() -> None:
    op.drop_index("ix_cases_category_lat_lon", table_name="cases")
    op.create_index("ix_cases_category_grid", "cases", ["category", "grid_code"])
    op.drop_index("ix_cases_category_grid_received", table_name="cases")
