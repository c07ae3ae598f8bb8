"""SQLite driven inline on the event loop (``sqlite+caseflow://``, the services' default) against aiosqlite's thread:
the same results, transactions and streaming; a database another process holds locked fails fast as transient."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import OperationalError

from caseflow_common import db
from caseflow_common.failures import is_transient

md = MetaData()
items = Table("items", md, Column("id", Integer, primary_key=True), Column("name", String(20)))


async def _engine(tmp_path: Path, driver: str):  # type: ignore[no-untyped-def]
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db", sqlite_driver=driver)
    async with engine.begin() as conn:
        await conn.run_sync(md.create_all)
    return engine


@pytest.mark.parametrize("driver", ["inline", "aiosqlite"])
async def test_both_drivers_give_the_same_rows_transactions_and_streams(tmp_path: Path, driver: str) -> None:
    engine = await _engine(tmp_path, driver)
    try:
        assert engine.dialect.driver == ("caseflow" if driver == "inline" else "aiosqlite")
        sessions = db.session_factory(engine)
        async with sessions() as s:
            await s.execute(insert(items), [{"id": i, "name": f"n{i}"} for i in range(1, 101)])
            result = await s.execute(select(items.c.id).order_by(items.c.id))
            await s.execute(update(items).where(items.c.id == 1).values(name="changed"))  # another statement between
            assert [r[0] for r in result] == list(range(1, 101))  # the first result still reads whole
            await s.commit()
        async with sessions() as s:  # a transaction rolled back leaves nothing behind
            await s.execute(insert(items).values(id=500, name="gone"))
            await s.rollback()
        async with engine.connect() as conn:
            assert (await conn.execute(select(items.c.name).where(items.c.id == 1))).scalar_one() == "changed"
            assert (await conn.execute(text("SELECT count(*) FROM items"))).scalar_one() == 100
            journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
            assert journal == "wal"
        async with sessions() as s:  # session.stream reads in partitions (the audit verify command does)
            streamed = await s.stream(select(items.c.id).order_by(items.c.id).execution_options(yield_per=30))
            sizes = [len(part) async for part in streamed.partitions(30)]
        assert sizes == [30, 30, 30, 10]
    finally:
        await engine.dispose()


async def test_inline_statements_start_no_thread(tmp_path: Path) -> None:
    engine = await _engine(tmp_path, "inline")
    try:
        before = threading.active_count()
        sessions = db.session_factory(engine)
        for i in range(20):
            async with sessions() as s:
                await s.execute(insert(items).values(id=i, name="x"))
                await s.commit()
        assert threading.active_count() == before
    finally:
        await engine.dispose()


async def test_a_database_another_process_holds_locked_fails_within_a_second_as_transient_then_recovers(
    tmp_path: Path,
) -> None:
    engine = await _engine(tmp_path, "inline")
    other = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process's writer (a CLI) holds the write lock
        sessions = db.session_factory(engine)
        ticks = 0

        async def ticker() -> None:  # the loop is blocked at most for the busy timeout, never indefinitely
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        beat = asyncio.create_task(ticker())
        started = time.monotonic()
        with pytest.raises(OperationalError) as failure:
            async with sessions() as s:
                await s.execute(insert(items).values(id=1, name="waits"))
                await s.commit()
        waited = time.monotonic() - started
        assert is_transient(failure.value)  # a 503 with Retry-After / a consumer back-off, never a dead letter
        assert waited < 2.0, f"waited {waited:.2f} s for the lock"
        other.execute("COMMIT")
        async with sessions() as s:
            await s.execute(insert(items).values(id=1, name="written"))
            await s.commit()
        await asyncio.sleep(0.05)
        beat.cancel()
        assert ticks > 0
        async with engine.connect() as conn:
            assert (await conn.execute(select(items.c.name))).scalar_one() == "written"
    finally:
        other.close()
        await engine.dispose()
