"""A whole caseflow stack as real processes, for fault injection: a Tansu broker and the four services
(``python -m <service>``), each on its own database (SQLite files or PostgreSQL databases created for the test), and
optionally each service's PostgreSQL connection through a TCP proxy the test can cut.

Helpers: kill or stop one service and start it again with the same environment, restart the broker on the same port
(it comes back empty); the load driver posting distinct hotline reports is ``load.py``, the checker ``checks.py``.
Everything listens on 127.0.0.1 only; every process started here is stopped here, by its own handle.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from caseflow_common import topics
from caseflow_common.db import create_database, drop_databases
from caseflow_common.devstack import SERVICE_NAMES, Stack, broker_command, dev_keys, free_port, service_env
from caseflow_common.messaging.kafka import ensure_topics
from caseflow_common.testing import DATA_DIR, PG_ADMIN_DSN, REPO, TEST_SECRET

HOST = "127.0.0.1"
PG_PORT = 5432
PARTITIONS = 3
READY_TIMEOUT_S = 90.0


# --- processes ----------------------------------------------------------------------------------------------


async def wait_listening(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex((HOST, port)) == 0:
                return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout}s")


async def wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The process's exit code once it has exited, None if it still runs after ``timeout`` (polls, never blocks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            return code
        await asyncio.sleep(0.05)
    return proc.poll()


async def terminate(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> int | None:
    """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    code = await wait_exit(proc, timeout)
    if code is None:
        proc.kill()
        code = await wait_exit(proc, 5)
    return code


@dataclass
class Broker:
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    async def start(self) -> None:
        self._spawn()
        await wait_listening(self.port, 15)

    def _spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                broker_command(HOST, self.port),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            await wait_exit(self.proc, 10)
        self.proc = None


@dataclass
class ServiceProc:
    """One service process: its name, HTTP port and environment (kept, so a restart is the same service)."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== start #{self.starts + 1} ===\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.name],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    async def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc and self.proc.returncode}: {self.tail()}")
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout}s: {self.tail()}")

    async def kill(self, sig: signal.Signals = signal.SIGKILL, timeout: float = 15.0) -> int | None:
        """Send ``sig`` and wait for the exit; returns the exit code (None: still running after ``timeout``)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return await wait_exit(self.proc, timeout)

    async def metric(self, name: str, **labels: str) -> float:
        """The sum of the samples of one Prometheus metric the service exposes now that carry ``labels``
        (0 when there are none)."""
        from prometheus_client.parser import text_string_to_metric_families

        async with httpx.AsyncClient(timeout=5) as client:
            body = (await client.get(f"{self.url}/metrics")).text
        return sum(
            sample.value
            for family in text_string_to_metric_families(body)
            for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    def tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


# --- a TCP proxy in front of PostgreSQL -------------------------------------------------------------------------


class TcpProxy:
    """Forwards a loopback port to PostgreSQL; ``cut()`` closes the listener and drops every live connection
    (clients see the server vanish), ``restore()`` listens again on the same port."""

    def __init__(self, target_port: int = PG_PORT) -> None:
        self.target_port = target_port
        self.port = free_port(HOST)
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.cut_count = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, HOST, self.port, reuse_address=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            upstream_r, upstream_w = await asyncio.open_connection(HOST, self.target_port)
        except OSError:
            client_w.transport.abort()
            return
        self._links.update((client_w, upstream_w))
        pumps = [
            asyncio.create_task(self._pump(client_r, upstream_w)),
            asyncio.create_task(self._pump(upstream_r, client_w)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in (client_w, upstream_w):
                w.transport.abort()
                self._links.discard(w)
            for t in pumps:
                t.cancel()
                self._tasks.discard(t)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for w in list(self._links):
            w.transport.abort()
        self._links.clear()
        self.cut_count += 1

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def stop(self) -> None:
        await self.cut()
        for t in list(self._tasks):
            t.cancel()


# --- the stack --------------------------------------------------------------------------------------------------


@dataclass
class FaultStack:
    """Broker + four service processes. ``backend``: "sqlite" (files under ``workdir``) or "postgres" (a database
    per service, created here, dropped at stop); ``proxied``: PostgreSQL reached through a ``TcpProxy`` per service."""

    workdir: Path
    backend: str = "sqlite"
    proxied: bool = False
    services: tuple[str, ...] = SERVICE_NAMES
    extra_env: dict[str, str] = field(default_factory=dict)
    broker: Broker = field(init=False)
    procs: dict[str, ServiceProc] = field(default_factory=dict)
    replicas: list[ServiceProc] = field(default_factory=list)
    proxies: dict[str, TcpProxy] = field(default_factory=dict)
    database_urls: dict[str, str] = field(default_factory=dict)  # direct (never proxied): what the checker reads
    pg_databases: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.broker = Broker(free_port(HOST), self.workdir / "broker.log")

    def url(self, name: str) -> str:
        return self.procs[name].url

    # life cycle ------------------------------------------------------------------------------------------------

    async def start(self) -> FaultStack:
        await self.broker.start()
        await ensure_topics(self.broker.bootstrap, list(topics.ALL), partitions=PARTITIONS)
        dev_keys(self.workdir, SERVICE_NAMES)  # each service's signing key + every public key, as the devstack does
        for name in self.services:
            service_url = await self._database(name)
            port = free_port(HOST)
            layout = Stack(root=REPO, var=self.workdir, broker_port=self.broker.port, ports={}, host=HOST)
            env = service_env(layout, name, port, TEST_SECRET, DATA_DIR)
            env.update(
                {
                    "CASEFLOW_DATABASE_URL": service_url,
                    "CASEFLOW_TOPIC_PARTITIONS": str(PARTITIONS),
                    "CASEFLOW_BROKER_CHECK_INTERVAL_S": "0.5",
                    "CASEFLOW_RETRY_AFTER_S": "1",
                    "CASEFLOW_READINESS_TIMEOUT_S": "1",
                    "CASEFLOW_LOG_LEVEL": "INFO",
                    **self.extra_env,
                }
            )
            self.procs[name] = ServiceProc(name, port, env, self.workdir / f"{name}.log")
        for p in self.procs.values():
            p.spawn()
        await asyncio.gather(*(p.wait_ready() for p in self.procs.values()))
        return self

    async def _database(self, name: str) -> str:
        """The service's database URL as the service sees it; the direct one goes to ``database_urls``."""
        if self.backend == "sqlite":
            url = f"sqlite+aiosqlite:///{self.workdir / (name + '.db')}"
            self.database_urls[name] = url
            return url
        db = await create_database(PG_ADMIN_DSN, f"caseflow_faults_{name}")
        self.pg_databases.append(db)
        self.database_urls[name] = f"postgresql+asyncpg://postgres@{HOST}:{PG_PORT}/{db}"
        if not self.proxied:
            return self.database_urls[name]
        proxy = TcpProxy(PG_PORT)
        await proxy.start()
        self.proxies[name] = proxy
        return f"postgresql+asyncpg://postgres@{HOST}:{proxy.port}/{db}"

    async def stop(self, *, graceful: bool = False) -> dict[str, int | None]:
        """Stop everything started here (the services killed, or with ``graceful`` SIGTERM first, since what a test
        checks is checked by then); drop the databases; returns the services' exit codes."""
        codes: dict[str, int | None] = {}
        every = [p for p in [*self.replicas, *self.procs.values()] if p.proc is not None]
        stopping = (terminate(p.proc) if graceful else p.kill(signal.SIGKILL, timeout=10) for p in every if p.proc)
        for p, code in zip(every, await asyncio.gather(*stopping), strict=True):
            codes[p.name] = code
        await self.broker.kill()
        for proxy in self.proxies.values():
            await proxy.stop()
        await drop_databases(PG_ADMIN_DSN, self.pg_databases)
        return codes

    # faults ----------------------------------------------------------------------------------------------------

    async def kill(self, name: str, sig: signal.Signals = signal.SIGKILL, timeout: float = 15.0) -> int | None:
        return await self.procs[name].kill(sig, timeout)

    async def start_service(self, name: str) -> None:
        p = self.procs[name]
        if p.running:
            raise RuntimeError(f"{name} is still running")
        p.spawn()
        await p.wait_ready()

    async def restart(self, name: str, sig: signal.Signals = signal.SIGKILL) -> int | None:
        """Stop one service with ``sig`` and start it again with the same environment; returns its exit code."""
        code = await self.kill(name, sig)
        await self.start_service(name)
        return code

    async def restart_broker(self, down_s: float = 0.5) -> None:
        """Kill the broker and start a new one on the same port: it comes back empty (no topics, no groups).
        Nothing else is done: the services must notice and repair on their own."""
        await self.broker.kill()
        await asyncio.sleep(down_s)
        await self.broker.start()

    async def cut_database(self) -> None:
        for proxy in self.proxies.values():
            await proxy.cut()

    async def restore_database(self) -> None:
        for proxy in self.proxies.values():
            await proxy.restore()

    def replica(self, name: str) -> ServiceProc:
        """A further replica of ``name``: the same database, consumer group and broker, its own HTTP port."""
        base = self.procs[name]
        port = free_port(HOST)
        env = {**base.env, "CASEFLOW_HTTP_PORT": str(port)}
        proc = ServiceProc(name, port, env, self.workdir / f"{name}-replica-{len(self.replicas) + 1}.log")
        self.replicas.append(proc)
        return proc

    async def metric(self, name: str, **labels: str) -> float:
        """One metric summed over the running services."""
        return sum([await p.metric(name, **labels) for p in self.procs.values() if p.running])

    async def assert_no_false_alarms(self, *, broker_lost: bool = False) -> None:
        """Nothing dead-lettered (a transient failure never is), and no broker repair unless the broker lost data."""
        assert await self.metric("caseflow_dlq_messages_total") == 0, "something was dead-lettered"
        if not broker_lost:
            assert await self.metric("caseflow_broker_resets_total") == 0, "a broker repair without a broker fault"

    def logs(self) -> str:
        return "\n".join(f"--- {p.log_path.name} ---\n{p.tail(3000)}" for p in [*self.procs.values(), *self.replicas])
