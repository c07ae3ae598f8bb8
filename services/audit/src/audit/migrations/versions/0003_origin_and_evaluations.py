"""audit: each entry's proof of origin; every evaluation per cycle and the unreached visits counted.

- record_entries: producer, version, correlation_id, causation_id (the signed identity beside what the chain already
  keeps), key_id, signature and signed_digest (sha256 of the payload as it arrived, before personal fields were
  stripped). Entries recorded before this revision have none of them: "unsigned (before origin proofs)".
- held_events.signed_digest: a held event keeps the digest of its raw payload until it is recorded.
- case_evaluations: one evaluation per case, unit and cycle (a reopened case is evaluated again).
- case_facts.evaluations / evaluations_satisfied / unreached_visits: counted per row as they arrive. Rows already
  there count the one evaluation they kept (its cycle is unknown, so it has no case_evaluations row).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ENTRY_COLUMNS = (
    ("producer", sa.String(40)),
    ("version", sa.Integer),
    ("correlation_id", sa.Text),
    ("causation_id", sa.Text),
    ("key_id", sa.String(100)),
    ("signature", sa.Text),
    ("signed_digest", sa.String(64)),
)
_COUNTS = ("evaluations", "evaluations_satisfied", "unreached_visits")


def upgrade() -> None:
    # Nullable columns without a default: no row is rewritten, so the append-only trigger is not involved.
    for name, type_ in _ENTRY_COLUMNS:
        op.add_column("record_entries", sa.Column(name, type_, nullable=True))
    op.add_column("held_events", sa.Column("signed_digest", sa.String(64), nullable=True))
    for name in _COUNTS:
        op.add_column("case_facts", sa.Column(name, sa.Integer, nullable=False, server_default=sa.text("0")))
    op.execute(
        "UPDATE case_facts SET evaluations = 1, evaluations_satisfied = CASE WHEN satisfaction IN "
        "('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END WHERE satisfaction IS NOT NULL"
    )
    op.create_table(
        "case_evaluations",
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("satisfaction", sa.String(30), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "unit", "cycle", name="pk_case_evaluations"),
    )


def downgrade() -> None:
    op.drop_table("case_evaluations")
    with op.batch_alter_table("case_facts") as batch:
        for name in _COUNTS:
            batch.drop_column(name)
    with op.batch_alter_table("held_events") as batch:
        batch.drop_column("signed_digest")
    with op.batch_alter_table("record_entries") as batch:
        for name, _ in reversed(_ENTRY_COLUMNS):
            batch.drop_column(name)
