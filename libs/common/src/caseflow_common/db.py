"""SQLAlchemy 2 async engines for SQLite (sqlite3 inline on the loop, or aiosqlite) and PostgreSQL (asyncpg), and
the Alembic runner."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import overload

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ClauseElement

from caseflow_common import sqlite_inline

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime: SQLite hands back naive ones for timezone columns (we store UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def on_postgres(session: AsyncSession) -> bool:
    """True when the session's database is PostgreSQL (for what only PostgreSQL needs: row locks, NOTIFY, snapshots)."""
    return session.get_bind().dialect.name == "postgresql"


def make_engine(url: str, *, pool_size: int = 5, sqlite_driver: str = "inline") -> AsyncEngine:
    """The service's engine. SQLite: one connection, driven inline on the event loop's thread by default
    (``sqlite_driver="aiosqlite"``: on aiosqlite's worker thread); PostgreSQL: a pool of ``pool_size`` (+ as many)."""
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The one wait SQLite can do is for another process's write lock (a CLI writing the same file). Inline,
        # it waits on the event loop's thread: a short wait, then "database is locked", a transient failure (503 +
        # Retry-After, the consumer backs off), rather than a loop frozen past its Kafka session timeout.
        if sqlite_driver == "inline":
            sqlite_inline.register()
            url, busy_ms = sqlite_inline.inline_url(url), sqlite_inline.BUSY_TIMEOUT_MS
        elif sqlite_driver == "aiosqlite":
            busy_ms = 30000
        else:
            raise ValueError(f"unknown SQLite driver {sqlite_driver!r} (inline or aiosqlite)")
        # SQLite has one writer. One pooled connection makes sessions queue for it in asyncio instead of
        # sleeping in SQLite's busy handler (which backs off up to 100 ms a try and wrecks tail latency).
        engine = create_async_engine(
            url, connect_args={"timeout": busy_ms / 1000}, pool_size=1, max_overflow=0, pool_timeout=60
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _):  # type: ignore[no-untyped-def]
            # WAL lets readers run beside the single writer; a busy timeout instead of "database is locked".
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def make_probe_engine(url: str, *, timeout_s: float = 2.0) -> AsyncEngine:
    """An engine for health checks only: no pool (a fresh connection each time, so a probe never queues behind the
    service's own work, and a dead server is noticed at once) and a short connect timeout."""
    return create_async_engine(url, poolclass=NullPool, connect_args={"timeout": timeout_s})


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def alembic_config(script_location: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def migrate(engine: AsyncEngine, script_location: Path) -> None:
    """Run the service's Alembic migrations to head on ``engine`` (start-up and prestart step)."""

    def _upgrade(sync_conn) -> None:  # type: ignore[no-untyped-def]
        cfg = alembic_config(script_location, str(engine.url))
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


def run_migrations_online(target_metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py``: use the connection handed in, or open one from the URL."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    raise RuntimeError("run migrations through the service: `python -m <service> migrate`")


def run_sync(coro) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(coro)


# --- throwaway PostgreSQL databases (tests, fault runs, benches) -----------------------------------------------------


async def explain(conn: AsyncConnection, stmt: ClauseElement) -> list[str]:
    """The plan the database picks for ``stmt``, its bound values written into the text: the detail of each line of
    SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN lines. For tests and benches that check a plan."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
    return [str(row[-1]) for row in await conn.exec_driver_sql(prefix + sql)]


async def create_database(admin_dsn: str, prefix: str) -> str:
    """Create an empty PostgreSQL database named ``<prefix>_<random>`` through ``admin_dsn`` (asyncpg's
    ``postgresql://…`` form, a role that may create databases); returns its name."""
    import uuid

    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_databases(admin_dsn: str, names: list[str]) -> None:
    """Drop these databases (if they are there), whoever is still connected to them."""
    if not names:
        return
    import asyncpg

    conn = await asyncpg.connect(admin_dsn)
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
