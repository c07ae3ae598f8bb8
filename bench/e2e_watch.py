"""What bench/e2e.py sees of a run: CPU and memory of its processes (/proc), the events on every topic (a group-less
consumer), audit's record (read from its database), the PostgreSQL backends' CPU, and the percentiles of it all."""

from __future__ import annotations

import asyncio
import os
import resource
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from caseflow_common import topics

TICK = os.sysconf("SC_CLK_TCK")
ROUTED = ("CaseDispatched", "CaseSentToCoordination")

# --- /proc ----------------------------------------------------------------------------------------------------------


def cpu_s(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def mem_mb(pid: int, key: str) -> float:
    """VmRSS / VmHWM of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def own_cpu_s() -> float:
    """CPU seconds of this process (the load generator, its consumer and its watchers)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_all(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu_s(pid) for name, pid in pids.items()}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


# --- what the run saw -----------------------------------------------------------------------------------------------


@dataclass
class Seen:
    """Per-case times from the events and audit's record, and the run's counters."""

    created: dict[str, tuple[str, bool, bool]] = field(default_factory=dict)  # case -> channel, anonymous, merged
    post_lat: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    received: dict[str, float] = field(default_factory=dict)
    published: dict[str, float] = field(default_factory=dict)  # CaseReceived's record timestamp: the relay's send
    routed: dict[str, tuple[float, str, str, str]] = field(default_factory=dict)  # ts, event id, unit, role
    clocked: dict[str, tuple[float, str]] = field(default_factory=dict)
    recorded: dict[str, float] = field(default_factory=dict)  # event id -> audit's recorded_at
    waiting: set[str] = field(default_factory=set)  # created, not yet in audit's record dispatched and clocked
    dlq: int = 0
    lag: dict[str, float] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    first_post: float = 0.0
    last_post: float = 0.0

    def count(self, key: str) -> None:
        self.statuses[key] = self.statuses.get(key, 0) + 1

    def act(self, key: str) -> None:
        self.actions[key] = self.actions.get(key, 0) + 1

    def on_event(self, topic: str, raw: bytes, timestamp_ms: int | None = None) -> str | None:
        """Keep the times of an event; returns the case id when it is the case's first routing."""
        if topic == topics.DLQ:
            self.dlq += 1
            return None
        e = orjson.loads(raw)
        kind, case = e["event_type"], e["case_id"]
        if kind == "CaseReceived":
            self.received.setdefault(case, datetime.fromisoformat(e["occurred_at"]).timestamp())
            if timestamp_ms is not None:
                self.published.setdefault(case, timestamp_ms / 1000)
        elif kind in ROUTED and case not in self.routed:
            p = e["payload"]
            ts = datetime.fromisoformat(e["occurred_at"]).timestamp()
            self.routed[case] = (ts, e["event_id"], p.get("unit", ""), p.get("role") or "coordination")
            return str(case)
        elif kind == "ClocksUpdated" and case not in self.clocked and e["payload"].get("clocks"):
            self.clocked[case] = (datetime.fromisoformat(e["occurred_at"]).timestamp(), e["event_id"])
        return None

    def recorded_at(self, case: str) -> float | None:
        """When audit's record held the case's routing and its first clocks, or None."""
        r, c = self.routed.get(case), self.clocked.get(case)
        if r is None or c is None or r[1] not in self.recorded or c[1] not in self.recorded:
            return None
        return max(self.recorded[r[1]], self.recorded[c[1]])


async def consume(bootstrap: str, seen: Seen, on_routed: Any, stop: asyncio.Event) -> None:
    """Group-less consumer of every caseflow topic from the beginning."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # metadata of every topic
        tps = [TopicPartition(t, p) for t in topics.ALL for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while not stop.is_set():
            for tp, msgs in (await consumer.getmany(timeout_ms=250, max_records=5000)).items():
                for m in msgs:
                    if (case := seen.on_event(tp.topic, m.value, m.timestamp)) is not None:
                        on_routed(case)
    finally:
        await consumer.stop()


class PgServerCpu:
    """CPU of the PostgreSQL backends serving the four databases (--db postgres): what the services' own /proc figures
    leave out. Every second the backends of those databases (pg_stat_activity) are read from /proc; a backend there at
    the start counts from then, one started later from its start; one that ends keeps its last reading."""

    def __init__(self, dsn: str, databases: list[str]) -> None:
        self.dsn, self.databases = dsn, databases
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.conn: Any = None

    async def poll(self, *, first: bool = False) -> None:
        import asyncpg

        if self.conn is None:
            self.conn = await asyncpg.connect(self.dsn)
        rows = await self.conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", self.databases)
        for (pid,) in rows:
            try:
                now = cpu_s(pid)
            except OSError:
                continue
            if pid not in self.base:
                self.base[pid] = now if first else 0.0
            self.last[pid] = now

    def seconds(self) -> float:
        return sum(self.last[pid] - self.base[pid] for pid in self.last)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


class AuditReader:
    """Reads audit's record_entries directly (SQLite file or PostgreSQL): recorded_at of routing and clock events."""

    SQL = (
        "SELECT id, event_id, recorded_at FROM record_entries WHERE id > {p} AND event_type IN "
        "('CaseDispatched', 'CaseSentToCoordination', 'ClocksUpdated') ORDER BY id LIMIT 50000"
    )

    def __init__(self, url: str) -> None:
        self.url, self.last = url, 0
        self.pg: Any = None  # an asyncpg connection, made on the first poll of a PostgreSQL record

    async def poll(self, seen: Seen) -> None:
        after = max(0, self.last - 2000)  # PostgreSQL ids may commit out of order: look back a little
        if self.url.startswith("postgresql"):
            import asyncpg

            if self.pg is None:
                self.pg = await asyncpg.connect(self.url.replace("+asyncpg", ""))
            rows = [(r[0], r[1], r[2]) for r in await self.pg.fetch(self.SQL.format(p="$1"), after)]
        else:
            rows = await asyncio.to_thread(self._sqlite, after)
        for rid, event_id, at in rows:
            if isinstance(at, str):
                at = datetime.fromisoformat(at)
            seen.recorded[event_id] = (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
            self.last = max(self.last, rid)

    def _sqlite(self, after: int) -> list[tuple[int, str, str]]:
        path = self.url.split("///", 1)[1]
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as con:
            return list(con.execute(self.SQL.format(p="?"), (after,)))

    async def close(self) -> None:
        if self.pg is not None:
            await self.pg.close()
