"""Benchmark: one escalation scheduler pass with many open clocks on PostgreSQL.

Opens --clocks clocks (COPY via asyncpg into a fresh database), makes --due of them due, and times one
scheduler pass (claim, ladder, insert actions, outbox events, move timers), then a second pass with nothing due.
With --clocks given several times, reports how the pass grows with the number of open clocks.

Run: .venv/bin/python bench/escalation_scheduler.py [--clocks 100000 --clocks 1000000] [--due 1000]
     [--scenario warn|catchup] [--dsn postgresql://postgres@127.0.0.1:5432/postgres] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

import escalation
from caseflow_common import db
from caseflow_common.signing import Signer
from escalation.bootstrap import build
from escalation.scheduler import run_scheduler_pass
from escalation.settings import Settings

COLUMNS = (
    "case_id",
    "cycle",
    "kind",
    "unit",
    "started_at",
    "amount",
    "time_unit",
    "warn_fraction",
    "policy_version",
    "pauses",
    "met_at",
    "deadline",
    "warn_at",
    "provisional",
    "next_due_at",
)
WARN_AT = datetime(2026, 3, 12, 8, 36, tzinfo=UTC)
HANDLING_DEADLINE = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
# warn: due clocks reach their 80 % moment (催办: one action and a warning each);
# catchup: due clocks come back after a downtime that spans reminder, breach (督办) and the 通报 deadline.
SCENARIOS = {"warn": WARN_AT + timedelta(minutes=1), "catchup": datetime(2026, 3, 20, 2, 0, tzinfo=UTC)}


def records(n: int, due: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    """Handling clocks of normal hotline cases: `due` received on 2 March 09:00, the rest received just now."""
    old = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    for i in range(n):
        if i < due:
            yield (
                f"B-{i}",
                1,
                "handling",
                f"U-{i % 300}",
                old,
                10.0,
                "working_days",
                0.8,
                1,
                "[]",
                None,
                HANDLING_DEADLINE,
                WARN_AT,
                False,
                WARN_AT,
            )
        else:
            started = now - timedelta(seconds=i % 3600)
            warn = started + timedelta(days=10, seconds=i % 86400)
            yield (
                f"O-{i}",
                1,
                "handling",
                f"U-{i % 300}",
                started,
                10.0,
                "working_days",
                0.8,
                1,
                "[]",
                None,
                started + timedelta(days=14),
                warn,
                False,
                warn,
            )


async def fresh_database(admin_dsn: str) -> tuple[str, str]:
    name = await db.create_database(admin_dsn, "caseflow_bench_escalation")
    base = admin_dsn.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


SIGNER = Signer.generate("escalation-bench")


async def one_size(admin_dsn: str, clocks: int, due: int, repeat: int, scenario: str) -> dict:
    now = SCENARIOS[scenario]
    name, dsn = await fresh_database(admin_dsn)
    try:
        runtime, _ = build(
            Settings(
                env="dev",
                auth_secret="bench-" + "x" * 32,
                database_url=dsn.replace("postgresql://", "postgresql+asyncpg://"),
                scheduler_batch=max(due, 1),
                scheduler_enabled=False,
                signing_key=SIGNER.secret(),
                signing_key_id=SIGNER.key_id,
            ),
            lambda: now,
        )
        await db.migrate(runtime.engine, Path(escalation.__file__).parent / "migrations")
        conn = await asyncpg.connect(dsn)
        try:
            t0 = time.perf_counter()
            await conn.copy_records_to_table("clocks", records=records(clocks, due, now), columns=COLUMNS)
            await conn.execute("ANALYZE clocks")
            load_s = time.perf_counter() - t0
            plan = await conn.fetch(
                "EXPLAIN SELECT * FROM clocks WHERE next_due_at IS NOT NULL AND next_due_at <= $1 "
                "ORDER BY next_due_at LIMIT 1000 FOR UPDATE SKIP LOCKED",
                now,
            )
        finally:
            await conn.close()
        await run_scheduler_pass(runtime, now - timedelta(days=30))  # warm the pool and the calendar memo
        passes = []
        for r in range(repeat):
            if r:  # make another `due` clocks due again for the next timed pass
                conn = await asyncpg.connect(dsn)
                await conn.execute(
                    "DELETE FROM supervision_actions; DELETE FROM outbox; "
                    "UPDATE clocks SET next_due_at = warn_at WHERE case_id LIKE 'B-%'"
                )
                await conn.close()
            t0 = time.perf_counter()
            result = await run_scheduler_pass(runtime, now)
            passes.append((time.perf_counter() - t0, result.clocks, result.actions))
        t0 = time.perf_counter()
        idle = await run_scheduler_pass(runtime, now)
        idle_s = time.perf_counter() - t0
        await runtime.engine.dispose()
        return {
            "scenario": scenario,
            "clocks": clocks,
            "due": due,
            "load_s": round(load_s, 1),
            "idle_pass_s": round(idle_s, 4),
            "passes": [{"seconds": round(s, 3), "clocks_fired": c, "actions": a} for s, c, a in passes],
            "best_s": round(min(s for s, _, _ in passes), 3),
            "idle_fired": idle.clocks,
            "plan": [r[0] for r in plan],
        }
    finally:
        await db.drop_databases(admin_dsn, [name])


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clocks", type=int, action="append", help="open clocks (repeatable); default 100000 and 1000000")
    ap.add_argument("--due", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="timed passes per size (best is reported)")
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), default="warn")
    ap.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/postgres", help="admin DSN")
    args = ap.parse_args()
    sizes = args.clocks or [100_000, 1_000_000]
    results = [await one_size(args.dsn, n, args.due, args.repeat, args.scenario) for n in sizes]
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    print(f"\n{'open clocks':>12} {'due':>6} {'best pass s':>12} {'actions':>8} {'idle pass s':>12}")
    for r in results:
        print(
            f"{r['clocks']:>12,} {r['due']:>6} {r['best_s']:>12.3f} {r['passes'][0]['actions']:>8} "
            f"{r['idle_pass_s']:>12.4f}"
        )
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(
            f"\n{b['clocks'] / a['clocks']:.0f}x open clocks -> {b['best_s'] / a['best_s']:.2f}x pass time "
            f"(target: < 0.5 s for {b['due']} due among {b['clocks']:,})"
        )


if __name__ == "__main__":
    asyncio.run(main())
