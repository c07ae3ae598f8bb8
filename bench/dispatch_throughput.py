"""Benchmark: how many cases dispatch routes per second on this machine.

Pre-fills the intake topic with N CaseReceived events (hotline and grid, mixed categories and regions), then starts
dispatch (consumer + relay, as in production) and times until every case is routed (rows in its database) and,
separately, until every resulting CaseDispatched / CaseSentToCoordination has left the outbox for the broker.

Run: .venv/bin/python bench/dispatch_throughput.py [--cases N] [--database-url URL] [--bootstrap HOST:PORT]
Without --bootstrap an embedded Tansu broker is started on a free loopback port; without --database-url a fresh
SQLite file in a temporary directory is used.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer
from sqlalchemy import ColumnElement, Table, func, select

from caseflow_common import topics
from caseflow_common.contracts.intake import CaseReceived, Channel, MaskedRequester, Urgency
from caseflow_common.devstack import free_port, start_broker
from caseflow_common.events import Actor, new_event
from caseflow_common.messaging.kafka import ensure_topics
from caseflow_common.signing import generate_keys, trusted_entries
from dispatch.bootstrap import build
from dispatch.orm import outbox, work_cases
from dispatch.reference import load_reference
from dispatch.settings import Settings
from dispatch.uow import DispatchRuntime

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data" / "demo"


SIGNERS = generate_keys(("intake", "dispatch"), suffix="bench")


async def prefill(bootstrap: str, topic: str, n: int, limit_s: float) -> int:
    """Publish up to n CaseReceived events within limit_s seconds; returns how many were sent."""
    ref = load_reference(DATA)
    categories = [c.code for c in ref.categories]
    regions = [r.code for r in ref.tree if r.level in ("community", "grid")]
    rnd = random.Random(12345)
    actor = Actor(role="system", id="bench")
    start = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=False, linger_ms=20, max_batch_size=256 * 1024
    )
    await producer.start()
    deadline = time.monotonic() + limit_s
    sent = 0
    try:
        pending = []
        for i in range(n):
            if time.monotonic() > deadline:
                break
            case_id = f"B-{uuid.uuid4().hex[:16]}"
            at = start + timedelta(seconds=i)
            payload = CaseReceived(
                channel=rnd.choice((Channel.HOTLINE, Channel.GRID)),
                external_id=f"X-{i}",
                category=rnd.choice(categories),
                urgency=Urgency.NORMAL,
                description="基准测试诉求",
                region_code=rnd.choice(regions),
                received_at=at,
                requester=MaskedRequester(name="张*", phone="138****5678"),
            )
            env = SIGNERS["intake"].sign(
                new_event(payload, case_id=case_id, producer="intake", actor=actor, occurred_at=at)
            )
            pending.append(await producer.send(topic, env.to_bytes(), key=case_id.encode()))
            sent += 1
            if len(pending) >= 2000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


async def count(runtime: DispatchRuntime, table: Table, *where: ColumnElement[bool]) -> int:
    """Rows of a table of dispatch's database (matching the conditions)."""
    async with runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def run(args: argparse.Namespace) -> None:
    broker = None
    tmp = Path(tempfile.mkdtemp(prefix="dispatch-bench-"))
    bootstrap = args.bootstrap
    if not bootstrap:
        port = free_port()
        broker = start_broker("127.0.0.1", port, tmp / "broker.log")
        bootstrap = f"127.0.0.1:{port}"
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    try:
        await ensure_topics(bootstrap, [prefix + t for t in topics.ALL], partitions=args.partitions)
        t0 = time.perf_counter()
        sent = await prefill(bootstrap, prefix + topics.INTAKE, args.cases, args.prefill_limit)
        print(f"pre-filled {sent:,} CaseReceived events in {time.perf_counter() - t0:.1f} s")
        settings = Settings(
            env="dev",
            auth_secret="bench-" + "x" * 32,
            kafka_bootstrap=bootstrap,
            topic_prefix=prefix,
            data_dir=DATA,
            database_url=args.database_url or f"sqlite+aiosqlite:///{tmp / 'dispatch.db'}",
            create_topics=False,
            consumer_group=f"{prefix}dispatch",
            consumer_batch=args.batch,
            log_level="WARNING",
            signing_key=SIGNERS["dispatch"].secret(),
            signing_key_id=SIGNERS["dispatch"].key_id,
            trusted_keys=trusted_entries(SIGNERS),
        )
        runtime, _ = build(settings)
        await runtime.start(workers=False)  # migrations before the clock starts
        t0 = time.perf_counter()
        await runtime.start_workers()
        routed_s = published_s = None
        deadline = t0 + args.limit
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.25)
            if routed_s is None and await count(runtime, work_cases) >= sent:
                routed_s = time.perf_counter() - t0
            if routed_s is not None and await count(runtime, outbox, outbox.c.sent_at.is_(None)) == 0:
                published_s = time.perf_counter() - t0
                break
        routed = await count(runtime, work_cases)
        await runtime.stop()
        took = routed_s or (time.perf_counter() - t0)
        backend = runtime.engine.dialect.name
        if backend == "sqlite":
            backend += f" ({settings.sqlite_driver})"
        print(
            f"routed {routed:,} of {sent:,} cases in {took:.1f} s ({backend}, {args.partitions} partitions, "
            f"one consumer): {routed / took:,.0f} cases routed/s"
        )
        if published_s is not None:
            print(
                f"all CaseDispatched/CaseSentToCoordination published after {published_s:.1f} s: "
                f"{routed / published_s:,.0f} cases/s end to end"
            )
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(timeout=10)


def main() -> None:
    """Parse arguments, run, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500, help="consumer batch size")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--bootstrap", default="", help="an existing broker; default: start an embedded Tansu")
    parser.add_argument("--prefill-limit", type=float, default=120.0, help="seconds allowed for pre-filling")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds allowed for routing")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
