"""Tables every service keeps for reliable messaging: outbox, processed events, leases.

Each service adds them to its own metadata and creates them in its first Alembic migration
(``create_messaging_tables(op)``), so they live in the service's own database.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table

BigId = BigInteger().with_variant(Integer, "sqlite")


def messaging_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    outbox = Table(
        "outbox", metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(100), nullable=False),
        Column("event_type", String(100), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True),
    )
    Index("ix_outbox_unsent", outbox.c.id, postgresql_where=outbox.c.sent_at.is_(None),
          sqlite_where=outbox.c.sent_at.is_(None))
    Index("ix_outbox_sent_at", outbox.c.sent_at)
    processed = Table(
        "processed_events", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("consumer", String(100), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    leases = Table(
        "leases", metadata,
        Column("name", String(100), primary_key=True),
        Column("holder", String(100), nullable=False),
        Column("until", DateTime(timezone=True), nullable=False),
    )
    return outbox, processed, leases


def create_messaging_tables(op) -> None:  # type: ignore[no-untyped-def]
    """Alembic ``upgrade`` step for the messaging tables (called from each service's first migration)."""
    md = MetaData()
    for table in messaging_tables(md):
        op.create_table(table.name, *[c._copy() for c in table.columns])  # fresh, unbound copies
    for table in md.sorted_tables:
        for index in table.indexes:
            op.create_index(index.name, table.name, [c.name for c in index.columns], unique=index.unique,
                            **{k: v for k, v in index.dialect_kwargs.items()})


def drop_messaging_tables(op) -> None:  # type: ignore[no-untyped-def]
    for name in ("leases", "processed_events", "outbox"):
        op.drop_table(name)
