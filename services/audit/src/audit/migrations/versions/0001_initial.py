"""audit: messaging tables, the append-only record (refused UPDATE/DELETE on PostgreSQL), facts, loops, anchors.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from caseflow_common.messaging.tables import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)

# The record is append-only: on PostgreSQL the database itself refuses to change or remove an entry.
_PG_APPEND_ONLY = [
    """
    CREATE FUNCTION record_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'record_entries is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    """
    CREATE TRIGGER record_entries_append_only BEFORE UPDATE OR DELETE ON record_entries
    FOR EACH ROW EXECUTE FUNCTION record_entries_append_only()
    """,
    """
    CREATE TRIGGER record_entries_no_truncate BEFORE TRUNCATE ON record_entries
    FOR EACH STATEMENT EXECUTE FUNCTION record_entries_append_only()
    """,
]


def upgrade() -> None:
    create_messaging_tables_v1(op)
    op.create_table(
        "record_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("step", sa.String(20), nullable=True),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.Column("cause_missing", sa.Boolean, nullable=False),
        sa.UniqueConstraint("case_id", "seq", name="uq_record_entries_case_seq"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_APPEND_ONLY:
            op.execute(statement)
    op.create_table(
        "record_heads",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("anchored_seq", sa.Integer, nullable=True),
    )
    op.create_table(
        "held_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("causation_id", sa.String(36), nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("held_at", _TS, nullable=False),
    )
    op.create_index("ix_held_events_causation_id", "held_events", ["causation_id"])
    op.create_index("ix_held_events_held_at", "held_events", ["held_at"])
    op.create_table(
        "case_index",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("region_code", sa.String(40), nullable=True),
        sa.Column("district", sa.String(40), nullable=True),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("received_at", _TS, nullable=True),
        sa.Column("merged_into", sa.String(40), nullable=True),
        sa.Column("sign_deadline", _TS, nullable=True),
        sa.Column("close_deadline", _TS, nullable=True),
    )
    op.create_index("ix_case_index_received_at", "case_index", ["received_at"])
    op.create_index("ix_case_index_merged_into", "case_index", ["merged_into"])
    op.create_table(
        "case_facts",
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("district", sa.String(40), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("region_code", sa.String(40), nullable=True),
        sa.Column("received_at", _TS, nullable=True),
        sa.Column("dispatched_at", _TS, nullable=True),
        sa.Column("signed_at", _TS, nullable=True),
        sa.Column("sign_deadline", _TS, nullable=True),
        sa.Column("replied_at", _TS, nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("close_deadline", _TS, nullable=True),
        sa.Column("resolved", sa.Boolean, nullable=True),
        sa.Column("satisfaction", sa.String(30), nullable=True),
        sa.Column("returns", sa.Integer, nullable=False),
        sa.Column("transfers", sa.Integer, nullable=False),
        sa.Column("actions_reminder", sa.Integer, nullable=False),
        sa.Column("actions_supervise", sa.Integer, nullable=False),
        sa.Column("actions_notify", sa.Integer, nullable=False),
        sa.Column("actions_interview", sa.Integer, nullable=False),
        sa.Column("actions_listed", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("case_id", "unit", name="pk_case_facts"),
    )
    op.create_index("ix_case_facts_received_at", "case_facts", ["received_at"])
    op.create_table(
        "supervision_actions",
        sa.Column("action_id", sa.String(100), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(40), nullable=True),
        sa.Column("rung", sa.String(20), nullable=False),
        sa.Column("issued_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("action_id", "case_id", name="pk_supervision_actions"),
    )
    op.create_index("ix_supervision_actions_case_unit", "supervision_actions", ["case_id", "unit"])
    op.create_table(
        "case_loops",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("missing", sa.String(200), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_case_loops_open", "case_loops", ["complete", "case_id"])
    op.create_table(
        "anchors",
        sa.Column("anchor_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("heads_hash", sa.String(64), nullable=False),
        sa.Column("prev_anchor_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "anchor_heads",
        sa.Column("anchor_id", sa.Integer, nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("anchor_id", "case_id", name="pk_anchor_heads"),
    )
    op.create_index("ix_anchor_heads_case", "anchor_heads", ["case_id", "anchor_id"])


def downgrade() -> None:
    for name in (
        "anchor_heads",
        "anchors",
        "case_loops",
        "supervision_actions",
        "case_facts",
        "case_index",
        "held_events",
        "record_heads",
        "record_entries",
    ):
        op.drop_table(name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS record_entries_append_only()")
    drop_messaging_tables_v1(op)
