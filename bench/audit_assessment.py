"""Benchmark: assessment figures for all units over a year of 1,000,000 cases on PostgreSQL.

Bulk-loads case fact rows (with supervision actions by rung) into a fresh database migrated like the service's,
then times the same query GET /v1/assessment/units and /districts run, for the whole year.

Run: python bench/audit_assessment.py [--cases N] [--units K] [--repeat R] [--keep]
     (PostgreSQL from CASEFLOW_BENCH_POSTGRES_DSN, default postgresql://postgres@127.0.0.1:5432/postgres)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

import audit
from audit.figures_repository import FiguresRepository
from caseflow_common import db
from caseflow_common.contracts.escalation import Rung

ADMIN_DSN = os.environ.get("CASEFLOW_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
YEAR = datetime(2025, 1, 1, tzinfo=UTC)
RUNGS: tuple[str, ...] = tuple(r.value for r in Rung.ladder())  # the rungs escalation issues
SATISFACTION = ("satisfied", "satisfied", "basically_satisfied", "dissatisfied", None)
COLUMNS = (
    "case_id",
    "unit",
    "district",
    "category",
    "region_code",
    "received_at",
    "dispatched_at",
    "signed_at",
    "sign_deadline",
    "replied_at",
    "closed_at",
    "close_deadline",
    "resolved",
    "satisfaction",
    "returns",
    "transfers",
) + tuple(f"actions_{r}" for r in RUNGS)


def fact_rows(cases: int, units: int, seed: int = 7):
    """One row per case: a year of receipts, a unit, clocks mostly met, some late, some open."""
    rnd = random.Random(seed)
    seconds = 365 * 86400
    for n in range(cases):
        received = YEAR + timedelta(seconds=rnd.randrange(seconds))
        u = rnd.randrange(units)
        signed = received + timedelta(hours=rnd.uniform(0.1, 30))
        closed = received + timedelta(days=rnd.uniform(1, 20)) if rnd.random() < 0.9 else None
        yield (
            f"C{n:08d}",
            f"U{u:03d}",
            f"D{u % 11:02d}",
            f"cat{rnd.randrange(40)}",
            f"R{rnd.randrange(500)}",
            received,
            received + timedelta(minutes=5),
            signed,
            received + timedelta(hours=24),
            closed,
            closed,
            received + timedelta(days=15),
            rnd.random() < 0.8 if closed else None,
            rnd.choice(SATISFACTION) if closed else None,
            int(rnd.random() < 0.03),
            int(rnd.random() < 0.02),
            *(int(rnd.random() < 0.01) for _ in RUNGS),
        )


async def load(dsn: str, cases: int, units: int) -> float:
    """COPY the rows in; returns seconds taken."""
    t0 = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        rows = list(fact_rows(cases, units))
        await conn.copy_records_to_table("case_facts", records=rows, columns=COLUMNS)
        # The case index holds one row per case (district, category, region, receipt), as the consumer keeps it.
        await conn.copy_records_to_table(
            "case_index",
            records=[(r[0], r[3], r[4], r[2], r[5]) for r in rows],
            columns=("case_id", "category", "region_code", "district", "received_at"),
        )
        await conn.execute("ANALYZE case_facts")
        await conn.execute("ANALYZE case_index")
    finally:
        await conn.close()
    return time.perf_counter() - t0


async def time_query(url: str, by: str, repeat: int) -> tuple[list[float], int]:
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    took: list[float] = []
    groups = 0
    try:
        for _ in range(repeat):
            async with sessions() as session:
                t0 = time.perf_counter()
                figures = await FiguresRepository(session).assess(
                    by, YEAR, YEAR.replace(year=2026), YEAR.replace(year=2026)
                )
                took.append(time.perf_counter() - t0)
                groups = len(figures)
    finally:
        await engine.dispose()
    return took, groups


async def main() -> None:
    """Create, migrate, load, time, drop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    name = await db.create_database(ADMIN_DSN, "caseflow_bench_audit")
    base = ADMIN_DSN.rsplit("/", 1)[0]
    url = f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    try:
        engine = db.make_engine(url)
        await db.migrate(engine, Path(audit.__file__).parent / "migrations")
        await engine.dispose()
        loaded = await load(f"{base}/{name}", args.cases, args.units)
        print(f"loaded {args.cases:,} case fact rows ({args.units} units) in {loaded:.1f} s")
        for by in ("unit", "district"):
            took, groups = await time_query(url, by, args.repeat)
            print(
                f"assessment per {by} over a year ({groups} groups): median {statistics.median(took):.3f} s, "
                f"best {min(took):.3f} s, worst {max(took):.3f} s over {args.repeat} runs"
            )
    finally:
        if not args.keep:
            await db.drop_databases(ADMIN_DSN, [name])


if __name__ == "__main__":
    asyncio.run(main())
