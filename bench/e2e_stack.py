"""The system bench/e2e.py runs against: a Tansu broker and the four services as processes on free loopback ports,
their state in a folder of their own, SQLite or a fresh PostgreSQL database per service (dropped afterwards)."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseflow_common import topics
from caseflow_common.db import create_database, drop_databases
from caseflow_common.devstack import (
    SERVICE_NAMES,
    Stack,
    dev_keys,
    dev_secret,
    free_port,
    service_env,
    start_broker,
    stop_all,
    wait_ready,
    write_tokens,
)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data" / "demo"
HOST = "127.0.0.1"
PROCS = (*SERVICE_NAMES, "broker")

# --- the stack ------------------------------------------------------------------------------------------------------


@dataclass
class Running:
    stack: Stack
    tokens: dict[str, Any]
    procs: dict[str, subprocess.Popen[bytes]]
    db_urls: dict[str, str]
    pg_dbs: list[str] = field(default_factory=list)

    @property
    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.procs.items() if name in PROCS}

    def check_alive(self) -> None:
        dead = [n for n, p in self.procs.items() if p.poll() is not None]
        if dead:
            raise RuntimeError(f"process exited during the run: {dead} (logs in {self.stack.var})")


def spawn(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """A child process in the repository, its output to log_path."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)


RUNNING: list[Running] = []  # what main() stops, whatever happened


async def start_stack(args: argparse.Namespace, var: Path) -> Running:
    """Broker, topics, dev secret, keys and tokens, then the four services; returns when all are ready."""
    from caseflow_common.messaging.kafka import ensure_topics

    stack = Stack(root=REPO, var=var, broker_port=free_port(), ports={n: free_port() for n in SERVICE_NAMES})
    procs: dict[str, subprocess.Popen[bytes]] = {}
    run = Running(stack, {}, procs, {})
    RUNNING.append(run)
    procs["broker"] = start_broker(HOST, stack.broker_port, var / "broker.log")
    await ensure_topics(stack.bootstrap, list(topics.ALL), partitions=3)
    secret = dev_secret(var)
    dev_keys(var, SERVICE_NAMES)
    run.tokens = json.loads(write_tokens(var, secret, DATA).read_text())
    for name, port in stack.ports.items():
        env = service_env(stack, name, port, secret, DATA)
        if args.no_signing:  # dev only (settings refuse it elsewhere): nothing signed, nothing verified
            env["CASEFLOW_REQUIRE_SIGNED_EVENTS"] = "false"
            del env["CASEFLOW_SIGNING_KEY_FILE"], env["CASEFLOW_SIGNING_KEY_ID"]
        if args.db == "postgres":
            db = await create_database(args.pg_dsn, f"caseflow_bench_e2e_{name}")
            run.pg_dbs.append(db)
            env["CASEFLOW_DATABASE_URL"] = (
                f"postgresql+asyncpg://{args.pg_dsn.split('://', 1)[1].rsplit('/', 1)[0]}/{db}"
            )
        run.db_urls[name] = env["CASEFLOW_DATABASE_URL"]
        procs[name] = spawn([sys.executable, "-m", name], env, var / f"{name}.log")
    for name, port in stack.ports.items():
        await asyncio.to_thread(wait_ready, HOST, port, procs[name], 120)
    return run


async def stop_stack(run: Running, pg_dsn: str) -> None:
    stop_all(list(run.procs.values()))
    await drop_databases(pg_dsn, run.pg_dbs)
