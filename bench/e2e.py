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

Beside it: e2e_stack.py (the processes and databases it runs against), e2e_watch.py (what it reads of them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from caseflow_common.devstack import SERVICE_NAMES, free_port, stop_all

from e2e_stack import DATA, HOST, RUNNING, Running, spawn, start_stack, stop_stack
from e2e_watch import AuditReader, PgServerCpu, Seen, consume, cpu_all, mem_mb, own_cpu_s, pct

CST = timezone(timedelta(hours=8))
NET_ERRORS = (OSError, EOFError, ValueError)  # refused / reset / timed out, cut short, garbled

# --- a small keep-alive HTTP/1.1 client (the load generator must not eat the two cores it measures) --------------


class Http:
    """One keep-alive connection; request() returns (status, body, headers)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, body: bytes = b"", token: str = ""
    ) -> tuple[int, bytes, dict[str, str]]:
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        if method == "POST":
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        raw = head.encode() + b"\r\n" + body
        for attempt in range(2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
                assert self.reader is not None
                self.writer.write(raw)
                async with asyncio.timeout(60):  # a request never hangs the run
                    return await self._response(self.reader)
            except (ConnectionError, asyncio.IncompleteReadError, OSError, TimeoutError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _response(self, reader: asyncio.StreamReader) -> tuple[int, bytes, dict[str, str]]:
        line = await reader.readline()
        if not line:  # the server closed an idle keep-alive connection
            raise ConnectionResetError("connection closed by the server")
        status = int(line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int((await reader.readline()).strip() or b"0", 16):
                body += await reader.readexactly(size)
                await reader.readline()
            await reader.readline()
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            await self.close()
        return status, body, headers


# --- the day's reports ----------------------------------------------------------------------------------------------

NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴军")
WORDS = ("多次反映仍未解决", "影响居民正常生活", "希望尽快处理", "已持续一周", "夜间尤为严重", "存在安全隐患")
FREQUENT = {"urban.garbage": 6, "traffic.illegal_parking": 6, "env.noise.construction": 5, "urban.road_occupation": 4}
HOTLINE_LEVELS = {"community": 45, "grid": 25, "street": 25, "district": 5}  # levels a hotline report names


class Day:
    """Report bodies drawn from the demo catalogue and directory; remembers recent grid-placed cases for repeats."""

    def __init__(self, seed: int, grid_share: float, repeat_share: float, anonymous_share: float) -> None:
        self.rnd = random.Random(seed)
        self.run = uuid.uuid4().hex[:6]
        self.grid_share, self.repeat_share, self.anonymous_share = grid_share, repeat_share, anonymous_share
        cats = json.loads((DATA / "categories.json").read_text())
        regions = json.loads((DATA / "regions.json").read_text())
        self.by_level = {lvl: [r for r in regions if r["level"] == lvl] for lvl in HOTLINE_LEVELS}
        self.bbox = {r["code"]: r["bbox"] for r in regions if r["level"] == "grid"}
        self.cats = {ch: [c["code"] for c in cats if ch in c["channels"]] for ch in ("hotline", "grid")}
        self.weights = {ch: [FREQUENT.get(c, 1) for c in self.cats[ch]] for ch in self.cats}
        self.recent: deque[tuple[str, str, float, float]] = deque(maxlen=300)

    def _point(self, grid: str) -> tuple[float, float]:
        lat0, lon0, lat1, lon1 = self.bbox[grid]
        return round(self.rnd.uniform(lat0, lat1), 6), round(self.rnd.uniform(lon0, lon1), 6)

    def _when(self) -> str:
        return (datetime.now(CST) - timedelta(seconds=self.rnd.uniform(5, 120))).isoformat(timespec="seconds")

    def report(self, i: int) -> tuple[str, dict[str, Any], bool]:
        """(channel, body, anonymous) of the i-th report of the day."""
        rnd = self.rnd
        text = f"{rnd.choice(WORDS)}，{rnd.choice(WORDS)}（第{i}件）"
        if rnd.random() < self.grid_share:
            cat = rnd.choices(self.cats["grid"], self.weights["grid"])[0]
            grid = rnd.choice(self.by_level["grid"])["code"]
            lat, lon = self._point(grid)
            body = {
                "external_id": f"GD-{self.run}-{i:07d}",
                "observed_at": self._when(),
                "grid_code": grid,
                "reporter_id": f"GM-{rnd.randrange(1, 400):04d}",
                "category": cat,
                "description": f"巡查发现：{text}",
                "location": {"address": "巡查点位", "lat": lat, "lon": lon},
            }
            self.recent.append((cat, grid, lat, lon))
            return "grid", body, False
        location: dict[str, Any]
        if self.recent and rnd.random() < self.repeat_share:  # a repeat: same category, same grid, metres apart
            cat, grid, lat, lon = rnd.choice(self.recent)
            location = {"region_code": grid, "address": "同一地点", "lat": lat + 0.0001, "lon": lon}
        else:
            cat = rnd.choices(self.cats["hotline"], self.weights["hotline"])[0]
            level = rnd.choices(list(HOTLINE_LEVELS), list(HOTLINE_LEVELS.values()))[0]
            region = rnd.choice(self.by_level[level])["code"]
            location = {"region_code": region, "address": f"{rnd.randrange(1, 300)}号"}
            if level == "grid":
                location["lat"], location["lon"] = self._point(region)
                self.recent.append((cat, region, location["lat"], location["lon"]))
        anonymous = rnd.random() < self.anonymous_share
        requester = (
            {"anonymous": True}
            if anonymous
            else {"name": rnd.choice(NAMES), "phone": f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d}"}
        )
        body = {
            "external_id": f"HL-{self.run}-{i:07d}",
            "received_at": self._when(),
            "kind": rnd.choice(("complaint", "complaint", "request", "report", "suggestion")),
            "category": cat,
            "description": text,
            "location": location,
            "requester": requester,
        }
        return "hotline", body, anonymous


# --- phases ---------------------------------------------------------------------------------------------------------


async def idle_cpu(run: Running, seconds: float) -> dict[str, float]:
    """% of one core each process burns doing nothing."""
    before, t0 = cpu_all(run.pids), time.monotonic()
    await asyncio.sleep(seconds)
    after, took = cpu_all(run.pids), time.monotonic() - t0
    return {n: 100 * (after[n] - before[n]) / took for n in before}


def serve_bare(port: int) -> None:
    """Child process: a FastAPI app that parses the body and answers, under uvicorn as the services run."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/hotline/reports")
    async def report(body: dict[str, Any]) -> JSONResponse:
        return JSONResponse({"case_id": "none", "status": "received"}, status_code=201)

    uvicorn.run(app, host=HOST, port=port, log_config=None, access_log=False)


async def bare_ceiling(run: Running, day: Day, concurrency: int, seconds: float) -> dict[str, float]:
    """Requests per second a bare FastAPI endpoint answers with the same client and concurrency."""
    port = free_port()
    proc = spawn([sys.executable, __file__, "--serve-bare", str(port)], dict(os.environ), run.stack.var / "bare.log")
    run.procs["bare"] = proc
    await asyncio.to_thread(wait_ready_bare, port, proc)
    bodies = [orjson.dumps(day.report(i)[1]) for i in range(200)]
    lat: list[float] = []
    ok = 0

    async def worker(end: float) -> None:
        nonlocal ok
        conn, i = Http(port), 0
        while time.monotonic() < end:
            t = time.perf_counter()
            status, _, _ = await conn.request("POST", "/v1/hotline/reports", bodies[i % 200])
            lat.append(time.perf_counter() - t)
            ok += status == 201
            i += 1
        await conn.close()

    await asyncio.gather(*(worker(time.monotonic() + 1) for _ in range(concurrency)))  # warm-up
    lat.clear()
    ok = 0
    t0 = time.monotonic()
    await asyncio.gather(*(worker(t0 + seconds) for _ in range(concurrency)))
    took = time.monotonic() - t0
    stop_all([proc])
    del run.procs["bare"]
    return {"per_s": ok / took, "p50_ms": pct(lat, 0.5) * 1000, "p99_ms": pct(lat, 0.99) * 1000}


def wait_ready_bare(port: int, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError("the bare FastAPI app exited")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the bare FastAPI app did not come up")


async def kafka_ceiling(bootstrap: str, n: int, limit_s: float) -> dict[str, float]:
    """Raw aiokafka: n small messages produced and consumed (group-less) on a topic of the same broker."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    from caseflow_common.messaging.kafka import ensure_topics

    topic = f"bench.raw.{uuid.uuid4().hex[:6]}"
    await ensure_topics(bootstrap, [topic], partitions=3)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        got = 0
        t0 = time.monotonic()

        async def drain() -> None:
            nonlocal got
            while got < n and time.monotonic() - t0 < limit_s:
                got += sum(len(m) for m in (await consumer.getmany(timeout_ms=200, max_records=10000)).values())

        reading = asyncio.create_task(drain())
        value = b"x" * 100
        pending = [await producer.send(topic, value, key=str(i % 64).encode()) for i in range(n)]
        await asyncio.gather(*pending)
        produced = time.monotonic() - t0
        await reading
        took = time.monotonic() - t0
    finally:
        await producer.stop()
        await consumer.stop()
    return {"produced_per_s": n / produced, "consumed_per_s": got / took, "consumed": got}


@dataclass
class Work:
    """The departments' and the hotline's follow-up: what to handle, what is in flight."""

    rnd: random.Random
    handle_share: float
    visit_share: float
    queue: asyncio.Queue[tuple[str, str, int]] = field(default_factory=asyncio.Queue)  # kind, case, attempt
    wanted: set[str] = field(default_factory=set)
    queued: set[str] = field(default_factory=set)
    busy: int = 0

    def put(self, kind: str, case: str, attempt: int = 0) -> None:
        self.busy += 1
        self.queue.put_nowait((kind, case, attempt))

    def routed(self, case: str) -> None:
        if case in self.wanted and case not in self.queued:
            self.queued.add(case)
            self.put("handle", case)


SATISFACTION = (("satisfied", 80), ("basically_satisfied", 15), ("dissatisfied", 5))


async def follow_up(run: Running, seen: Seen, work: Work) -> None:
    """One worker: a department handles a case (签收, 答复, 办结) with its own token; the hotline visits closed cases."""
    intake, dispatch = Http(run.stack.ports["intake"]), Http(run.stack.ports["dispatch"])
    while True:
        kind, case, attempt = await work.queue.get()
        try:
            if kind == "handle":
                await handle(dispatch, run, seen, work, case)
            elif await visit(intake, run, seen, case) == 409 and attempt < 60:  # intake has not seen 办结 yet
                work.busy += 1
                asyncio.get_running_loop().call_later(0.5, work.queue.put_nowait, (kind, case, attempt + 1))
        except NET_ERRORS as exc:
            seen.act(f"{kind} failed: {type(exc).__name__}")
        finally:
            work.busy -= 1


async def post(conn: Http, path: str, body: bytes, token: str, seen: Seen | None = None) -> tuple[int, bytes]:
    """POST, waiting out 429 / 503 as their Retry-After says (bounded)."""
    for _ in range(20):
        status, resp, headers = await conn.request("POST", path, body, token)
        if status not in (429, 503):
            return status, resp
        if seen is not None:
            seen.count(str(status))
        await asyncio.sleep(min(5.0, float(headers.get("retry-after", "1"))))
    return status, resp


async def handle(conn: Http, run: Running, seen: Seen, work: Work, case: str) -> None:
    _, _, unit, _ = seen.routed[case]
    token = run.tokens["departments"].get(unit)
    if token is None:
        seen.act("not a department's (coordination)")
        return
    steps = [
        ("accept", b""),
        ("reply", orjson.dumps({"content": "经核查已处理完毕，已告知诉求人。", "resolved": True})),
    ]
    if work.rnd.random() < 0.3:
        steps.insert(1, ("progress", orjson.dumps({"note": "已安排人员现场核查"})))
    for action, body in [*steps, ("close", b"")]:
        status, _ = await post(conn, f"/v1/work/cases/{case}/{action}", body, token)
        seen.act(f"{action} {status}")
        if status >= 300:
            return
    channel, anonymous, _ = seen.created[case]
    if channel == "hotline" and not anonymous and work.rnd.random() < work.visit_share:
        work.put("visit", case)


async def visit(conn: Http, run: Running, seen: Seen, case: str) -> int:
    rnd = random.Random(case)
    satisfaction = rnd.choices([s for s, _ in SATISFACTION], [w for _, w in SATISFACTION])[0]
    body = orjson.dumps({"contacted": True, "satisfaction": satisfaction, "comment": "回访已完成"})
    status, _ = await post(conn, f"/v1/cases/{case}/visits", body, run.tokens["hotline"])
    if status != 409:
        seen.act(f"visit {status}")
    return status


async def poster(run: Running, args: argparse.Namespace, day: Day, seen: Seen, work: Work, counter: Any) -> None:
    conn = Http(run.stack.ports["intake"])
    t0 = time.monotonic()
    for i in counter:
        if args.rate > 0 and (wait := t0 + i / args.rate - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        channel, body, anonymous = day.report(i)
        t = time.perf_counter()
        try:
            status, resp = await post(conn, f"/v1/{channel}/reports", orjson.dumps(body), run.tokens[channel], seen)
        except NET_ERRORS as exc:
            seen.count(type(exc).__name__)
            continue
        seen.post_lat.append(time.perf_counter() - t)
        seen.last_post = time.time()
        seen.count(str(status))
        if status in (200, 201):
            answer = orjson.loads(resp)
            case, merged = answer["case_id"], answer["status"] == "merged"
            seen.created[case] = (channel, anonymous, merged)
            seen.waiting.add(case)
            if not merged and work.rnd.random() < work.handle_share:
                work.wanted.add(case)
                if case in seen.routed:
                    work.routed(case)
        elif seen.statuses[str(status)] <= 3:
            print(f"report refused: {status} {resp[:300]!r}", file=sys.stderr)
    await conn.close()


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
    arg("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0
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
