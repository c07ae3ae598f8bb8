"""Tables every service keeps for reliable messaging: outbox, processed events, leases.

Each service adds them to its own metadata and creates them in its first Alembic migration
(``create_messaging_tables(op)``), so they live in the service's own database.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table

BigId = BigInteger().with_variant(Integer, "sqlite")


def messaging_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(100), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True),
    )
    Index(
        "ix_outbox_unsent",
        outbox.c.id,
        postgresql_where=outbox.c.sent_at.is_(None),
        sqlite_where=outbox.c.sent_at.is_(None),
    )
    Index("ix_outbox_sent_at", outbox.c.sent_at)
    processed = Table(
        "processed_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("consumer", String(100), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    leases = Table(
        "leases",
        metadata,
        Column("name", String(100), primary_key=True),
        Column("holder", String(100), nullable=False),
        Column("until", DateTime(timezone=True), nullable=False),
    )
    return outbox, processed, leases


def create_messaging_tables_v1(op: Any) -> None:
    """Alembic ``upgrade`` step for the messaging tables as they stood at revision 1 of every service (called from
    each service's first migration). Frozen: a later change to ``messaging_tables`` gets its own ``_v2`` step, called
    from a new revision of every service, so existing databases receive it and history never changes."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_outbox_unsent",
        "outbox",
        ["id"],
        postgresql_where=sa.text("sent_at IS NULL"),
        sqlite_where=sa.text("sent_at IS NULL"),
    )
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )


def drop_messaging_tables_v1(op: Any) -> None:
    for name in ("leases", "processed_events", "outbox"):
        op.drop_table(name)
