"""Load benchmark: hotline reports per second through intake over HTTP, beside a bare FastAPI endpoint.

Run: .venv/bin/python bench/intake_load.py [--requests 2000] [--concurrency 16] [--max-seconds 60]
     [--url http://127.0.0.1:8001 --token <hotline token>]   (against a running intake instead)
     [--database-url postgresql+asyncpg://...]               (the in-process intake's database; SQLite by default)

Without --url it starts a Tansu broker and intake (uvicorn, own process, loopback, free port, SQLite in a temp dir),
and a bare FastAPI endpoint that does nothing, and measures both in the same run with the same client. Beside the
accepted reports/s it prints each server process's CPU ms per request (/proc, user + system, over the measured load),
the figure to compare on a shared machine (not given for --url: that process is not ours to read).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from caseflow_common.devstack import free_port

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-" + "x" * 40
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int | None) -> float | None:
    """CPU seconds (user + system) a process has used so far, or None when it is not ours to read."""
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def report(i: int) -> dict:
    """A valid hotline report; places spread over many grids so few are repeats."""
    lat, lon = 23.119 + (i % 40) * 0.0001, 113.236 + (i % 97) * 0.00004
    return {
        "external_id": f"BENCH-{uuid.uuid4().hex}",
        "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": "complaint",
        "category": ["urban.garbage", "traffic.order", "env.noise.restaurant", "urban.street_light"][i % 4],
        "description": f"压测诉求 {i}",
        "location": {"lat": lat, "lon": lon, "address": "沙面北街"},
        "requester": {"name": "测试", "phone": f"138{i % 100_000_000:08d}"},
    }


async def load(
    url: str, path: str, token: str | None, n: int, concurrency: int, max_s: float, pid: int | None = None
) -> dict:
    """Post n reports with `concurrency` workers; accepted/s, latency percentiles and the server's (``pid``) CPU ms
    per request."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(n))
    deadline = time.monotonic() + max_s
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as client:

        async def worker() -> None:
            for i in counter:
                if time.monotonic() > deadline:
                    return
                t0 = time.perf_counter()
                r = await client.post(path, json=report(i))
                latencies.append(time.perf_counter() - t0)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

        start, cpu0 = time.perf_counter(), cpu_s(pid)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu1 = time.perf_counter() - start, cpu_s(pid)
    accepted = sum(v for k, v in statuses.items() if k in (200, 201))
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "accepted_per_s": accepted / elapsed,
        "cpu_ms": None if cpu0 is None or cpu1 is None else (cpu1 - cpu0) * 1000 / max(1, len(latencies)),
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "sent": len(latencies),
        "statuses": statuses,
        "seconds": elapsed,
    }


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def serve(which: str, port: int) -> None:
    """Child process: run intake or the bare endpoint under uvicorn."""
    import uvicorn
    from fastapi import FastAPI

    if which == "bare":
        app = FastAPI()

        @app.get("/healthz")
        async def healthz() -> dict:
            return {"status": "ok"}

        @app.post("/v1/hotline/reports", status_code=201)
        async def nothing(body: dict) -> dict:
            return {"case_id": "none"}
    else:
        from caseflow_common.signing import Signer
        from caseflow_common.testing import TEST_SERVICE_SECRETS
        from intake.bootstrap import build
        from intake.settings import Settings

        _, app = build(
            Settings(
                env="dev",
                auth_secret=os.environ["CASEFLOW_AUTH_SECRET"],  # the secret the load's token is signed with
                signing_key=Signer.generate("intake-bench").secret(),
                signing_key_id="intake-bench",
                **TEST_SERVICE_SECRETS["intake"],
            )
        )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start(which: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve", which, "--port", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    wait_http(url)
    return proc, url


def show(name: str, r: dict) -> None:
    cpu = "" if r["cpu_ms"] is None else f"   CPU {r['cpu_ms']:5.2f} ms/request"
    print(
        f"{name:>6}: {r['accepted_per_s']:8.1f} accepted/s   p50 {r['p50_ms']:7.1f} ms   p99 {r['p99_ms']:7.1f} ms"
        f"{cpu}   ({r['sent']} sent in {r['seconds']:.1f} s, statuses {r['statuses']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time cap per target")
    parser.add_argument("--url", help="a running intake (skips starting one)")
    parser.add_argument("--token", help="hotline bearer token for --url")
    parser.add_argument("--database-url", help="database of the in-process intake (default: SQLite in a temp dir)")
    parser.add_argument("--serve", choices=["intake", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return

    from caseflow_common.auth import Role, TokenCodec
    from caseflow_common.devstack import start_broker

    procs: list[subprocess.Popen] = []
    try:
        tmp = Path(tempfile.mkdtemp(prefix="intake-bench-"))
        env = {
            **os.environ,
            "CASEFLOW_AUTH_SECRET": SECRET,
            "CASEFLOW_DATA_DIR": str(REPO / "data" / "demo"),
            "CASEFLOW_LOG_LEVEL": "WARNING",
        }
        bare, bare_url = start("bare", env)
        procs.append(bare)
        url, token, pid = args.url, args.token, None
        if url is None:
            broker_port = free_port()
            procs.append(start_broker("127.0.0.1", broker_port, tmp / "broker.log"))
            env.update(
                CASEFLOW_KAFKA_BOOTSTRAP=f"127.0.0.1:{broker_port}",
                CASEFLOW_DATABASE_URL=args.database_url or f"sqlite+aiosqlite:///{tmp / 'intake.db'}",
            )
            proc, url = start("intake", env)
            procs.append(proc)
            pid = proc.pid
            token = TokenCodec(SECRET).issue("bench", Role.HOTLINE)
        asyncio.run(load(bare_url, "/v1/hotline/reports", None, 100, args.concurrency, 10))  # warm-up
        asyncio.run(load(url, "/v1/hotline/reports", token, 50, args.concurrency, 10))
        bare_r = asyncio.run(
            load(bare_url, "/v1/hotline/reports", None, args.requests, args.concurrency, args.max_seconds, bare.pid)
        )
        intake_r = asyncio.run(
            load(url, "/v1/hotline/reports", token, args.requests, args.concurrency, args.max_seconds, pid)
        )
        print(f"hotline reports, {args.requests} requests, concurrency {args.concurrency}")
        show("bare", bare_r)
        show("intake", intake_r)
        print(f"intake / bare throughput: {intake_r['accepted_per_s'] / bare_r['accepted_per_s']:.2f}")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
