"""SQLite for the asyncio engine without a worker thread: ``sqlite+caseflow://``.

aiosqlite runs every call on a thread of its own and hands the result back through the event loop: a statement
costs three or four such hand-offs (cursor, execute, fetch, close), each a future, a queue put, a thread wake-up, a
GIL hand-over and a loop wake-up. Under load that was 30-45 % of every service's CPU (bench/RESULTS.md). The work
itself is a few microseconds of SQLite in the same process, on a database only this process opens.

This dialect is SQLAlchemy's own pysqlite dialect marked async: the AsyncEngine runs its statements inside its
greenlet, where they call ``sqlite3`` directly on the event loop's thread, with no hand-off. A statement blocks the
loop for as long as SQLite takes, which is what it cost the loop's one core before, minus the hand-offs. Commits do
not wait for the disk (WAL with ``synchronous=NORMAL``: an fsync only at checkpoints). Transactions are exactly as
with aiosqlite (the same ``sqlite3`` module underneath, the same implicit BEGIN), and the pool is the same
asyncio-aware queue pool, so a session that finds the one connection taken waits in asyncio, not in SQLite.

``caseflow_common.db.make_engine`` uses it for every ``sqlite+aiosqlite://`` URL of a service;
``CASEFLOW_SQLITE_DRIVER=aiosqlite`` keeps aiosqlite's thread instead.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.base import SQLiteExecutionContext
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine.url import URL
from sqlalchemy.util.concurrency import await_, in_greenlet

DRIVER = "caseflow"
# How long a statement waits for another process's write lock before "database is locked" (on the loop's thread).
BUSY_TIMEOUT_MS = 500


async def _returned() -> None:
    """What a statement "awaits": SQLAlchemy's AsyncConnection.execute insists that the driver awaited something
    (its check for a sync driver by mistake); this completes at once, without going through the event loop."""


def _awaited() -> None:
    if in_greenlet():
        await_(_returned())


class InlineCursor:
    """A ``sqlite3`` cursor as SQLAlchemy's asyncio layer expects one: the rows are read at execute (as the
    asyncio adapters do), so a result stays readable after the cursor closes or another statement runs."""

    server_side = False
    __slots__ = ("_cursor", "_rows", "description", "rowcount", "lastrowid", "arraysize")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._cursor = conn.cursor()
        self._rows: deque[Any] = deque()
        self.description: Any = None
        self.lastrowid: int | None = None
        self.rowcount, self.arraysize = -1, 1

    def execute(self, operation: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> None:
        cur = self._cursor
        cur.execute(operation, parameters)
        self._done(cur)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Any]) -> None:
        cur = self._cursor
        cur.executemany(operation, seq_of_parameters)
        self._done(cur)

    def _done(self, cur: sqlite3.Cursor) -> None:
        _awaited()
        self.description, self.rowcount, self.lastrowid = cur.description, cur.rowcount, cur.lastrowid
        if self.description:
            self._rows = deque(cur.fetchall())

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        n = min(len(self._rows), size or self.arraysize)
        return [self._rows.popleft() for _ in range(n)]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def __iter__(self) -> Iterator[Any]:
        while self._rows:
            yield self._rows.popleft()

    def close(self) -> None:
        self._rows.clear()
        self._cursor.close()

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's asyncio layer closes the cursor but keeps its rows: they were read at execute."""
        self._cursor.close()


class InlineStreamingCursor:
    """The cursor of ``session.stream(...)`` (server-side in SQLAlchemy's terms): rows read as they are fetched."""

    server_side = True
    __slots__ = ("_cursor",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._cursor = conn.cursor()

    def execute(self, operation: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> None:
        self._cursor.execute(operation, parameters)
        _awaited()

    def __getattr__(self, name: str) -> Any:  # description, rowcount, lastrowid, arraysize, fetch*
        return getattr(self._cursor, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)

    async def _async_soft_close(self) -> None:
        """A streaming result reads on after the statement returned: nothing to close yet."""


class InlineConnection:
    """A ``sqlite3`` connection whose cursors are the ones above; everything else is the connection's own."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def cursor(self, server_side: bool = False) -> InlineCursor | InlineStreamingCursor:
        return InlineStreamingCursor(self._conn) if server_side else InlineCursor(self._conn)

    def commit(self) -> None:
        self._conn.commit()

    def rollback(self) -> None:
        self._conn.rollback()

    def close(self) -> None:
        self._conn.close()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._conn.isolation_level = value

    def __getattr__(self, name: str) -> Any:  # create_function, in_transaction, ...
        return getattr(self._conn, name)


class InlineExecutionContext(SQLiteExecutionContext):
    def create_server_side_cursor(self) -> Any:
        return self._dbapi_connection.cursor(server_side=True)


class SQLiteDialect_inline(SQLiteDialect_pysqlite):
    driver = DRIVER
    is_async = True  # statements run in the AsyncEngine's greenlet; sqlite3 itself never waits on I/O we could yield
    supports_statement_cache = True
    supports_server_side_cursors = True  # session.stream(): rows fetched as read (InlineStreamingCursor)
    execution_ctx_cls = InlineExecutionContext

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        # The asyncio-aware pools: a checkout that has to wait for the connection waits in asyncio.
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        conn: Any = super().connect(*cargs, **cparams)  # a sqlite3.Connection
        return InlineConnection(conn)

    def get_driver_connection(self, connection: Any) -> Any:
        return connection._conn


def register() -> None:
    """Make ``sqlite+caseflow://`` known to SQLAlchemy (idempotent)."""
    registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_inline")


def inline_url(url: str) -> str:
    """The same database through this dialect: ``sqlite+aiosqlite:///x.db`` -> ``sqlite+caseflow:///x.db``."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0] != "sqlite":
        raise ValueError(f"not a SQLite URL: {url!r}")
    return f"sqlite+{DRIVER}://{rest}"
