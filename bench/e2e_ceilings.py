"""bench/e2e.py's ceilings, measured in the same run: a bare FastAPI endpoint (its own process, the same client and
concurrency as the day) and raw aiokafka produce -> consume on the same broker.

Run as a script, ``e2e_ceilings.py PORT`` serves the bare endpoint (the child process bare_ceiling starts)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from typing import Any

import orjson

from caseflow_common.devstack import free_port, stop_all, wait_ready

from e2e_day import Day, Http
from e2e_stack import HOST, Running, spawn
from e2e_watch import pct


def serve_bare(port: int) -> None:
    """Child process: a FastAPI app that parses the body and answers, under uvicorn as the services run."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI()

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/hotline/reports")
    async def report(body: dict[str, Any]) -> JSONResponse:
        return JSONResponse({"case_id": "none", "status": "received"}, status_code=201)

    uvicorn.run(app, host=HOST, port=port, log_config=None, access_log=False)


async def bare_ceiling(run: Running, day: Day, concurrency: int, seconds: float) -> dict[str, float]:
    """Requests per second a bare FastAPI endpoint answers with the same client and concurrency."""
    port = free_port()
    proc = spawn([sys.executable, __file__, str(port)], dict(os.environ), run.stack.var / "bare.log")
    run.procs["bare"] = proc
    await asyncio.to_thread(wait_ready, HOST, port, proc, 30)
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


if __name__ == "__main__":
    serve_bare(int(sys.argv[1]))
