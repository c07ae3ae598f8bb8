"""Benchmark: intake's repeat-request lookup (重复诉求) as the day's cases pile up.

Run: .venv/bin/python bench/intake_repeat_lookup.py [--cases 10000 --cases 100000] [--queries 2000]
     [--pg-dsn postgresql://postgres@127.0.0.1:5432/postgres]   (PostgreSQL: a throwaway database, dropped after)

For each size it fills intake's own tables (built by its migrations, SQLite in a temp dir by default) with that many
open cases spread over the city's categories, grids and points, then times ``intake.repeat_lookup.candidates`` for
reports at random places of the three shapes (grid and point, grid only, point only): mean and p99 ms per lookup,
with the plan of the grid-and-point shape. A lookup that reads every case of the category grows with the size; one
that reads the place's index stays flat. (The "before" figures in bench/RESULTS.md came from this script's first
version, which called ``IntakeRepository.repeat_candidates``, in the checkout before the change.)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

import intake
from caseflow_common import db
from intake import repeat_lookup
from intake.orm import case_status, cases

MIGRATIONS = Path(intake.__file__).parent / "migrations"
T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
CATEGORIES = 12
GRIDS = 3_000
LAT0, LON0, SPAN = 22.9, 113.1, 0.5  # a box over Guangzhou's centre, ~55 km a side


def _case(i: int, rng: random.Random) -> dict[str, Any]:
    at = T0 + timedelta(seconds=i * 86_400 / 100_000)
    return dict(
        case_id=f"C{i:07d}",
        channel="hotline",
        external_id=f"C{i:07d}",
        fingerprint="f" * 64,
        kind="complaint",
        category=f"cat.{rng.randrange(CATEGORIES)}",
        urgency="normal",
        description="d",
        region_code="440103001001",
        grid_code=f"G{rng.randrange(GRIDS):05d}",
        address="",
        lat=LAT0 + rng.random() * SPAN,
        lon=LON0 + rng.random() * SPAN,
        withheld=False,
        whistleblower=False,
        received_at=at,
        created_at=at,
    )


async def _fill(engine, start: int, stop: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    for lo in range(start, stop, 5_000):
        rows = [_case(i, rng) for i in range(lo, min(stop, lo + 5_000))]
        async with engine.begin() as conn:
            await conn.execute(insert(cases), rows)
            status = [
                dict(case_id=r["case_id"], status="dispatched", cycle=1, clocks="[]", updated_at=T0) for r in rows
            ]
            await conn.execute(insert(case_status), status)


async def _time(engine, queries: int, rng: random.Random) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def]
    out: dict[str, tuple[float, float]] = {}
    for shape in ("grid+point", "grid", "point"):
        times = []
        async with db.session_factory(engine)() as session:
            for _ in range(queries):
                place = dict(
                    grid_code=f"G{rng.randrange(GRIDS):05d}" if shape != "point" else None,
                    lat=LAT0 + rng.random() * SPAN if shape != "grid" else None,
                    lon=LON0 + rng.random() * SPAN if shape != "grid" else None,
                )
                t = time.perf_counter()
                await repeat_lookup.candidates(
                    session, category=f"cat.{rng.randrange(CATEGORIES)}", max_distance_m=100.0, exclude="NEW", **place
                )
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[shape] = (statistics.fmean(times), times[int(len(times) * 0.99) - 1])
    return out


async def _plan(engine) -> str:  # type: ignore[no-untyped-def]
    params = dict(category="cat.1", exclude="NEW", grid_code="G00001", lat_min=23.1, lat_max=23.101)
    params.update(lon_min=113.2, lon_max=113.202)
    stmt = repeat_lookup.statement(by_grid=True, by_box=True).params(params)
    async with engine.connect() as conn:
        lines = await db.explain(conn, stmt)
    return "; ".join(x.strip() for x in lines if "cases" in x or "Index" in x or "Scan" in x)[:400]


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, action="append", help="sizes to time at (repeatable; default 10k, 50k, 100k)")
    p.add_argument("--queries", type=int, default=2_000, help="lookups per shape and size")
    p.add_argument("--pg-dsn", default="", help="a PostgreSQL server's admin DSN; default SQLite in a temp dir")
    a = p.parse_args()
    sizes = sorted(a.cases or [10_000, 50_000, 100_000])
    if sizes[-1] > 1_000_000 or a.queries > 100_000:
        p.error("at most 1,000,000 cases and 100,000 queries")
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        made: list[str] = []
        if a.pg_dsn:
            name = await db.create_database(a.pg_dsn, "bench_repeats")
            made.append(name)
            url = "postgresql+asyncpg://" + a.pg_dsn.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name
        else:
            url = f"sqlite+aiosqlite:///{tmp}/intake.db"
        engine = db.make_engine(url)
        try:
            await db.migrate(engine, MIGRATIONS)
            print(f"intake repeat lookup, {engine.dialect.name}, {a.queries} lookups per shape and size")
            print(f"{'cases':>9}  {'grid+point mean/p99 ms':>23}  {'grid only':>15}  {'point only':>15}")
            have = 0
            for size in sizes:
                await _fill(engine, have, size, rng)
                have = size
                if engine.dialect.name == "postgresql":  # what autovacuum would have done by then
                    async with engine.begin() as conn:
                        await conn.execute(text("ANALYZE cases"))
                        await conn.execute(text("ANALYZE case_status"))
                t = await _time(engine, a.queries, rng)
                cells = [f"{m:8.3f} / {p99:6.3f}" for m, p99 in (t["grid+point"], t["grid"], t["point"])]
                print(f"{size:>9,}  {cells[0]:>23}  {cells[1]:>15}  {cells[2]:>15}")
            print("plan (grid+point):", await _plan(engine))
        finally:
            await engine.dispose()
            if made:
                await db.drop_databases(a.pg_dsn, made)


if __name__ == "__main__":
    asyncio.run(main())
