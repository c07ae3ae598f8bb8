"""End-to-end benchmark: a city's day through the whole pipeline (intake -> dispatch -> escalation -> audit).

Starts its own embedded stack (Tansu broker and the four services as processes, on free loopback ports, state in a
temporary folder; SQLite, or with --db postgres a fresh PostgreSQL database per service, dropped afterwards), then:

1. idle CPU of every service (CPU seconds from /proc over --idle-seconds of idleness, as % of one core);
2. the ceilings, in the same run: a bare FastAPI endpoint (own process, same client, same concurrency) and raw
   aiokafka produce -> consume on the same broker;
3. the day: -n reports, hotline and grid mixed (--grid-share), categories and regions from data/demo so that they
   route, deliberate repeats (same category, same grid, a few metres apart), anonymous requesters; departments
   accept, reply and close a share of their cases with their own dev tokens (the unit read from the CaseDispatched
   event), and the hotline pays a return visit to a share of the closed cases.

It prints reports accepted per second; the seconds from the first POST until the last case is dispatched (its first
CaseDispatched / CaseSentToCoordination), clocked (its first ClocksUpdated with clocks) and recorded (both entries in
audit's record); p50/p95/p99 of intake->published (CaseReceived's record timestamp: when intake's relay sent it) /
->dispatched / ->clocked / ->recorded (from CaseReceived's occurred_at to those
events' occurred_at, read by a group-less consumer, and to audit's recorded_at, read from its database); CPU ms per
case per process (/proc, over the whole day, follow-up included; with --db postgres also the PostgreSQL backends
serving the four databases); peak consumer lag (caseflow_consumer_lag summed over
partitions, scraped from /metrics every second); peak (VmHWM) and final RSS; idle CPU; and the two ceilings.
Everything is bounded by --timeout; the run stops by itself. bench/RESULTS.md keeps the latest figures. Run on
purpose, never by the tests:

    .venv/bin/python bench/e2e.py [-n 100000] [--rate 0] [--concurrency 16] [--db sqlite|postgres] [--timeout 900]

Beside it: e2e_stack.py (the processes and databases it runs against), e2e_day.py (what the day sends), e2e_watch.py
(what it reads of them), e2e_ceilings.py (the bare FastAPI and raw aiokafka ceilings).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from caseflow_common.devstack import SERVICE_NAMES

from e2e_ceilings import bare_ceiling, kafka_ceiling
from e2e_day import NET_ERRORS, Day, Http, Work, follow_up, poster
from e2e_stack import RUNNING, Running, start_stack, stop_stack
from e2e_watch import AuditReader, PgServerCpu, Seen, consume, cpu_all, mem_mb, own_cpu_s, pct

# --- phases ---------------------------------------------------------------------------------------------------------


async def idle_cpu(run: Running, seconds: float) -> dict[str, float]:
    """% of one core each process burns doing nothing."""
    before, t0 = cpu_all(run.pids), time.monotonic()
    await asyncio.sleep(seconds)
    after, took = cpu_all(run.pids), time.monotonic() - t0
    return {n: 100 * (after[n] - before[n]) / took for n in before}


async def scrape_lag(conns: dict[str, Http], seen: Seen) -> None:
    """Peak of caseflow_consumer_lag (summed over the service's partitions) from each service's /metrics."""
    for name, conn in conns.items():
        try:
            _, body, _ = await conn.request("GET", "/metrics")
        except NET_ERRORS:
            continue
        total = sum(
            float(line.rsplit(" ", 1)[1])
            for line in body.decode().splitlines()
            if line.startswith("caseflow_consumer_lag{")
        )
        seen.lag[name] = max(seen.lag.get(name, 0.0), total)


async def replay(run: Running, args: argparse.Namespace, day: Day, seen: Seen, deadline: float) -> dict[str, Any]:
    """The day: post, follow up, watch until every case is dispatched, clocked and in audit's record (or time's up)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    work = Work(random.Random(args.seed + 1), args.handle_share, args.visit_share)
    stop = asyncio.Event()
    audit = AuditReader(run.db_urls["audit"])
    reader = asyncio.create_task(consume(run.stack.bootstrap, seen, work.routed, stop))
    followers = [asyncio.create_task(follow_up(run, seen, work)) for _ in range(args.departments)]
    metrics = {name: Http(port) for name, port in run.stack.ports.items()}
    pg = PgServerCpu(args.pg_dsn, run.pg_dbs) if run.pg_dbs else None
    if pg is not None:
        await pg.poll(first=True)
    cpu0, t0, own0 = cpu_all(run.pids), time.monotonic(), own_cpu_s()
    seen.first_post = time.time()
    counter = iter(range(args.reports))
    posters = asyncio.gather(*(poster(run, args, day, seen, work, counter) for _ in range(args.concurrency)))
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    complete = False
    with Progress(*columns, console=Console(stderr=True), refresh_per_second=2) as bar:
        t_posted = bar.add_task("reports posted", total=args.reports)
        t_routed = bar.add_task("cases dispatched", total=args.reports)
        t_recorded = bar.add_task("dispatched+clocked in audit", total=args.reports)
        t_work = bar.add_task("department actions, visits", total=None)
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            run.check_alive()
            await scrape_lag(metrics, seen)
            await audit.poll(seen)
            if pg is not None:
                await pg.poll()
            seen.waiting -= {c for c in seen.waiting if seen.recorded_at(c) is not None}
            posted = posters.done()
            total = len(seen.created) if posted else args.reports
            bar.update(t_posted, completed=len(seen.post_lat))
            bar.update(t_routed, completed=sum(1 for c in seen.routed if c in seen.created), total=total)
            bar.update(t_recorded, completed=len(seen.created) - len(seen.waiting), total=total)
            bar.update(t_work, completed=sum(seen.actions.values()))
            if posted and not seen.waiting and work.busy == 0:
                complete = True
                break
    cpu1, took = cpu_all(run.pids), time.monotonic() - t0
    own = own_cpu_s() - own0
    if pg is not None:
        await pg.poll()
        await pg.close()
    stop.set()
    posters.cancel()
    for task in followers:
        task.cancel()
    await asyncio.gather(reader, posters, *followers, return_exceptions=True)
    await audit.close()
    return {
        "complete": complete,
        "seconds": took,
        "cpu": {n: cpu1[n] - cpu0[n] for n in cpu0},
        "client_cpu_s": own,
        "pg_server_cpu_s": pg.seconds() if pg is not None else None,
    }


# --- figures --------------------------------------------------------------------------------------------------------


def figures(run: Running, seen: Seen, day_run: dict[str, Any], idle: dict[str, float], bare: Any, kafka: Any) -> dict:
    created = seen.created
    n = max(1, len(created))
    accepted = sum(v for k, v in seen.statuses.items() if k in ("200", "201"))
    post_window = max(1e-9, seen.last_post - seen.first_post)
    lat: dict[str, list[float]] = {"published": [], "dispatched": [], "clocked": [], "recorded": []}
    last: dict[str, float] = {}
    for case in created:
        start = seen.received.get(case)
        ends = {
            "published": seen.published.get(case),
            "dispatched": seen.routed[case][0] if case in seen.routed else None,
            "clocked": seen.clocked[case][0] if case in seen.clocked else None,
            "recorded": seen.recorded_at(case),
        }
        for stage, end in ends.items():
            if end is None:
                continue
            last[stage] = max(last.get(stage, 0.0), end)
            if start is not None:
                lat[stage].append(end - start)
    return {
        "reports": len(seen.post_lat),
        "accepted": accepted,
        "accepted_per_s": accepted / post_window,
        "post_ms": {q: pct(seen.post_lat, v) * 1000 for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))},
        "statuses": dict(sorted(seen.statuses.items())),
        "grid": sum(1 for c in created.values() if c[0] == "grid"),
        "anonymous": sum(1 for c in created.values() if c[1]),
        "merged": sum(1 for c in created.values() if c[2]),
        "complete": day_run["complete"],
        "reached": {stage: len(v) for stage, v in lat.items()},
        "last_s": {stage: ts - seen.first_post for stage, ts in last.items()},
        "latency_ms": {
            stage: {q: pct(v, p) * 1000 for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
            for stage, v in lat.items()
        },
        "replay_s": day_run["seconds"],
        "cpu_ms_per_case": {name: 1000 * s / n for name, s in day_run["cpu"].items()},
        "client_cpu_ms_per_case": 1000 * day_run["client_cpu_s"] / n,
        "pg_server_cpu_ms_per_case": (
            1000 * day_run["pg_server_cpu_s"] / n if day_run.get("pg_server_cpu_s") is not None else None
        ),
        "peak_lag": seen.lag,
        "rss_peak_mb": {name: mem_mb(pid, "VmHWM") for name, pid in run.pids.items()},
        "rss_end_mb": {name: mem_mb(pid, "VmRSS") for name, pid in run.pids.items()},
        "idle_cpu_pct": idle,
        "actions": dict(sorted(seen.actions.items())),
        "dead_letters": seen.dlq,
        "bare": bare,
        "kafka": kafka,
    }


def show(f: dict[str, Any], args: argparse.Namespace) -> None:
    w = print
    services = [*SERVICE_NAMES, "broker"]
    w(
        f"\ncaseflow end to end: {f['reports']:,} reports, {args.db}, concurrency {args.concurrency}, "
        f"rate {args.rate or 'max'}, events {'NOT signed' if args.no_signing else 'signed and verified'}"
    )
    state = "complete" if f["complete"] else "NOT complete (timeout): figures cover what got through"
    w(f"  run {state}; {f['grid']:,} grid, {f['anonymous']:,} anonymous, {f['merged']:,} merged as repeats")
    w(f"  HTTP statuses of the reports: {f['statuses']}")
    w(f"  intake accepted {f['accepted_per_s']:,.1f} reports/s", end="")
    w("   (POST p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms)".format(**f["post_ms"]))
    w("  from the first POST until the last case is")
    for stage in ("dispatched", "clocked", "recorded"):
        reached = f["reached"][stage]
        label = "recorded (audit)" if stage == "recorded" else stage
        w(f"    {label:<17} {f['last_s'].get(stage, float('nan')):8.1f} s   ({reached:,} cases)")
    for stage in ("published", "dispatched", "clocked", "recorded"):
        q = f["latency_ms"][stage]
        w(f"  intake->{stage:<11} p50 {q['p50']:8.0f} ms   p95 {q['p95']:8.0f} ms   p99 {q['p99']:8.0f} ms")
    w(f"  {'':<11} {'CPU ms/case':>12} {'idle CPU %':>11} {'peak lag':>9} {'peak RSS MB':>12} {'end RSS MB':>11}")
    for s in services:
        lag = f"{f['peak_lag'].get(s, 0):9.0f}" if s != "broker" else f"{'-':>9}"
        w(
            f"  {s:<11} {f['cpu_ms_per_case'][s]:12.2f} {f['idle_cpu_pct'][s]:11.2f} {lag} "
            f"{f['rss_peak_mb'][s]:12.0f} {f['rss_end_mb'][s]:11.0f}"
        )
    four = sum(f["cpu_ms_per_case"][s] for s in SERVICE_NAMES)
    w(f"  {'4 services':<11} {four:12.2f}   (load generator itself: {f['client_cpu_ms_per_case']:.2f} ms/case)")
    if f.get("pg_server_cpu_ms_per_case") is not None:
        w(f"  {'postgres':<11} {f['pg_server_cpu_ms_per_case']:12.2f}   (the backends of the four databases)")
    w(f"  follow-up: {f['actions']}; dead letters: {f['dead_letters']}")
    b, k = f["bare"], f["kafka"]
    w(
        f"  ceilings: bare FastAPI {b['per_s']:,.0f} req/s (p50 {b['p50_ms']:.1f} ms, p99 {b['p99_ms']:.1f} ms); "
        f"intake = {100 * f['accepted_per_s'] / b['per_s']:.1f} % of it"
    )
    w(
        f"            raw aiokafka {args.kafka_messages:,} messages: produced {k['produced_per_s']:,.0f}/s, "
        f"produced->consumed {k['consumed_per_s']:,.0f}/s"
    )


# --- main -----------------------------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace, var: Path) -> dict[str, Any]:
    deadline = time.monotonic() + args.timeout
    run = await asyncio.wait_for(start_stack(args, var), timeout=args.timeout)
    print(f"stack ready ({args.db}); state and logs in {var}", file=sys.stderr)
    await asyncio.sleep(3)  # let start-up work settle before calling anything idle
    idle = await idle_cpu(run, args.idle_seconds)
    day = Day(args.seed, args.grid_share, args.repeat_share, args.anonymous_share)
    print("idle CPU measured; ceilings ...", file=sys.stderr)
    bare = await bare_ceiling(run, day, args.concurrency, args.ceiling_seconds)
    kafka = await kafka_ceiling(run.stack.bootstrap, args.kafka_messages, min(120.0, deadline - time.monotonic()))
    seen = Seen()
    day_run = await replay(run, args, day, seen, deadline - 20)
    return figures(run, seen, day_run, idle, bare, kafka)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    arg = parser.add_argument
    arg("-n", "--reports", type=int, default=100_000, help="reports in the day (default 100000)")
    arg("--rate", type=float, default=0.0, help="reports per second to send (0 = as fast as intake takes them)")
    arg("--concurrency", type=int, default=16, help="connections posting reports (and driving the bare ceiling)")
    arg("--departments", type=int, default=4, help="connections of the departments and return visits")
    arg("--timeout", type=float, default=900.0, help="seconds for the whole run, start-up included")
    arg("--db", choices=("sqlite", "postgres"), default="sqlite", help="each service's database")
    arg("--pg-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres", help="where --db postgres creates them")
    arg("--grid-share", type=float, default=0.3, help="share of grid reports")
    arg("--repeat-share", type=float, default=0.05, help="share of hotline reports repeating a recent grid case")
    arg("--anonymous-share", type=float, default=0.1, help="share of anonymous hotline requesters")
    arg("--handle-share", type=float, default=0.5, help="share of cases their department accepts, replies, closes")
    arg("--visit-share", type=float, default=0.6, help="share of closed hotline cases given a return visit")
    arg(
        "--idle-seconds",
        type=float,
        default=30.0,
        help="idle CPU measurement window (CPU time is counted in 10 ms ticks)",
    )
    arg("--ceiling-seconds", type=float, default=10.0, help="how long the bare FastAPI endpoint is driven")
    arg("--kafka-messages", type=int, default=50_000, help="messages of the raw aiokafka ceiling")
    arg("--no-signing", action="store_true", help="services neither sign nor verify events (to weigh signing)")
    arg("--seed", type=int, default=12345)
    arg("--json", type=Path, help="also write the figures there")
    arg("--keep", action="store_true", help="keep the temporary state folder (databases, logs)")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="caseflow-e2e-"))

    def _alarm(*_: Any) -> None:
        raise TimeoutError("the run overran --timeout")

    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(args.timeout) + 60)  # the last resort: asyncio's own deadlines come first
    ok = False
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            try:
                f = runner.run(main_async(args, var))
            finally:
                for run in RUNNING:
                    runner.run(stop_stack(run, args.pg_dsn))
        show(f, args)
        if args.json:
            args.json.write_text(json.dumps(f, indent=1))
        ok = f["complete"]
    finally:
        signal.alarm(0)
        if ok and not args.keep:
            import shutil

            shutil.rmtree(var, ignore_errors=True)
        else:
            print(f"state and logs kept in {var}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
