"""pytest plugin shared by every test tier: the real broker, real databases, service harnesses.

Loaded by the repository's root ``conftest.py``. Integration tests use the Tansu broker over the Kafka protocol
and SQLite + PostgreSQL (127.0.0.1:5432) — no mocks of either.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, event
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow_common import db, topics
from caseflow_common.auth import Role, TokenCodec
from caseflow_common.devstack import free_port, start_broker
from caseflow_common.events import Envelope
from caseflow_common.messaging.kafka import ensure_topics
from caseflow_common.settings import CommonSettings, TestSettings
from caseflow_common.signing import Signer, generate_keys, trusted_entries

REPO = Path(__file__).resolve().parents[4]
DATA_DIR = REPO / "data" / "demo"
TEST_SECRET = "test-secret-" + secrets.token_urlsafe(32)  # per test run, like every test key
TEST_SETTINGS = TestSettings()
PG_ADMIN_DSN = TEST_SETTINGS.postgres_dsn


class ManualClock:
    """An injectable clock for tests: starts at a fixed instant, moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 20, 1, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


async def wait_for(probe: Callable[[], Awaitable[Any]], *, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``probe`` until it returns something truthy; fail the test with a clear message on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


# --- broker -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """A Tansu broker on a free loopback port for the whole session; returns its bootstrap address."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"caseflow-test-broker-{port}.log"
    proc = start_broker("127.0.0.1", port, log)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest_asyncio.fixture
async def topic_prefix(broker: str) -> str:
    """A unique topic prefix per test, with every caseflow topic created under it."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await ensure_topics(broker, [prefix + t for t in topics.ALL], partitions=3)
    return prefix


def topic_reader(broker: str, *topic_names: str) -> AIOKafkaConsumer:
    """A consumer that reads whole topics from the start without a consumer group (no JoinGroup wait, no commits)."""
    return AIOKafkaConsumer(
        *topic_names, bootstrap_servers=broker, group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
    )


# --- databases ----------------------------------------------------------------------------------------------


def _postgres_reachable() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 5432)) == 0


@dataclass
class DatabaseFactory:
    """Hands out fresh, empty databases of one backend; drops the PostgreSQL ones at the end of the session."""

    backend: str
    tmp: Path
    created: list[str] = field(default_factory=list)

    async def new_url(self, name: str = "db") -> str:
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.tmp / f'{name}-{uuid.uuid4().hex[:8]}.db'}"
        created = await db.create_database(PG_ADMIN_DSN, f"caseflow_test_{name}")
        self.created.append(created)
        return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{created}"

    async def drop_all(self) -> None:
        await db.drop_databases(PG_ADMIN_DSN, self.created)


@pytest_asyncio.fixture(scope="session", params=["sqlite", "postgres"])
async def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DatabaseFactory]:
    """Parametrises a test over SQLite and PostgreSQL. PostgreSQL is skipped only where no server is reachable,
    and is mandatory when CASEFLOW_TEST_REQUIRE_POSTGRES=1 (CI)."""
    if request.param == "postgres" and not _postgres_reachable():
        if TEST_SETTINGS.require_postgres:
            pytest.fail("PostgreSQL is required (CASEFLOW_TEST_REQUIRE_POSTGRES=1) but 127.0.0.1:5432 is unreachable")
        pytest.skip("no PostgreSQL reachable on 127.0.0.1:5432")
    factory = DatabaseFactory(request.param, tmp_path_factory.mktemp(f"db-{request.param}"))
    yield factory
    await factory.drop_all()


@pytest_asyncio.fixture
async def sqlite_only(tmp_path: Path) -> DatabaseFactory:
    return DatabaseFactory("sqlite", tmp_path)


async def migration_drift(metadata: MetaData, migrations: Path, url: str) -> list[Any]:
    """What Alembic's autogenerate finds between ``metadata`` (the ORM) and the database that the service's migrations
    build on ``url``: an empty list means the frozen migrations and the live tables agree."""
    engine = db.make_engine(url)
    try:
        await db.migrate(engine, migrations)
        async with engine.connect() as conn:

            def _compare(sync_conn: Connection) -> list[Any]:
                ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(ctx, metadata))

            return await conn.run_sync(_compare)
    finally:
        await engine.dispose()


# --- services -----------------------------------------------------------------------------------------------


def tokens(secret: str = TEST_SECRET) -> Callable[..., dict[str, str]]:
    codec = TokenCodec(secret)

    def auth(role: Role | str, unit: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {codec.issue(f'test-{role}', role, unit, ttl=timedelta(days=1))}"}

    return auth


auth_header = tokens()


# Every producer's signing key for the test session (and "ledger", the messaging tests' throwaway service).
TEST_SIGNERS: dict[str, Signer] = generate_keys(("intake", "dispatch", "escalation", "audit", "ledger"), suffix="test")
TEST_TRUSTED_KEYS = trusted_entries(TEST_SIGNERS)
# intake's own secrets for tests, made afresh per test run (no key is written down anywhere).
TEST_OPEN311_KEY = "open311-test-" + secrets.token_urlsafe(16)
TEST_SERVICE_SECRETS: dict[str, dict[str, Any]] = {
    "intake": {
        "phone_encryption_keys": [base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")],
        "phone_hash_key": "test-" + secrets.token_urlsafe(32),
        "open311_api_keys": {TEST_OPEN311_KEY: "open311-test"},
    }
}


def signed(env: Envelope) -> Envelope:
    """``env`` signed with the test key of its producer, as that service's relay would publish it."""
    return TEST_SIGNERS[env.producer].sign(env)


def service_settings(
    settings_cls: type[CommonSettings], *, broker: str, prefix: str, database_url: str, **overrides: Any
) -> Any:
    """Settings for a service under test: the test broker, a topic prefix, its own database, the test secret, its
    test signing key, every producer's public key and the service's own test secrets (intake's phone keys)."""
    name = str(overrides.get("service_name", settings_cls.model_fields["service_name"].default))
    signer = TEST_SIGNERS.get(name)
    keys: dict[str, Any] = {"trusted_keys": TEST_TRUSTED_KEYS, **TEST_SERVICE_SECRETS.get(name, {})}
    if signer is not None:
        keys.update(signing_key=signer.secret(), signing_key_id=signer.key_id)
    defaults: dict[str, Any] = {
        "env": "dev",
        "kafka_bootstrap": broker,
        "topic_prefix": prefix,
        "database_url": database_url,
        "auth_secret": TEST_SECRET,
        "data_dir": DATA_DIR,
        "create_topics": False,
        "relay_interval_s": 0.02,
        "relay_idle_poll_s": 0.1,  # replicas see each other's commits quickly
        "consumer_session_timeout_ms": 2000,
        "consumer_rebalance_timeout_ms": 2000,
        "consumer_group": f"{prefix}{name}",
        # A loaded test machine (parallel workers on two cores) can take longer than production's 2 s to open a
        # probe connection; a test that means "not ready" breaks the dependency instead of racing a timer.
        "readiness_timeout_s": 10.0,
    }
    return settings_cls(**{**defaults, **keys, **overrides})


@dataclass
class CommitFailures:
    """How many commits ``failing_commits`` has made fail so far."""

    failed: int = 0


@contextmanager
def failing_commits(engine: AsyncEngine, table: str, times: int = 1) -> Iterator[CommitFailures]:
    """The next ``times`` transactions on ``engine`` that wrote into ``table`` fail at their COMMIT, as a database
    that drops the connection at that moment does (``ConnectionError``: transient, so a consumer retries the batch);
    the database keeps nothing of them. Other transactions commit as usual."""
    failures = CommitFailures()
    marker = "caseflow_wrote_" + table

    def on_execute(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.lower().split()
        if words[:2] == ["insert", "into"] and len(words) > 2 and words[2].strip('"') == table:
            conn.info[marker] = True

    def on_commit(conn: Connection) -> None:
        wrote = conn.info.pop(marker, False)
        if wrote and failures.failed < times:
            failures.failed += 1
            raise ConnectionError(f"injected: the database went away at COMMIT (after writing {table})")

    def on_rollback(conn: Connection) -> None:
        conn.info.pop(marker, None)

    sync = engine.sync_engine
    hooks: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", on_execute),
        ("commit", on_commit),
        ("rollback", on_rollback),
    ]
    for name, hook in hooks:
        event.listen(sync, name, hook)
    try:
        yield failures
    finally:
        for name, hook in hooks:
            event.remove(sync, name, hook)


@dataclass(frozen=True)
class Statement:
    """One statement a test saw the engine send: its SQL and the rows it carried (1 unless an executemany)."""

    sql: str
    rows: int


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[Statement]]:
    """Every statement the engine sends to the database while the block runs, in order."""
    seen: list[Statement] = []

    def on_execute(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool) -> None:
        seen.append(Statement(sql, len(parameters) if many else 1))

    sync = engine.sync_engine
    event.listen(sync, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(sync, "before_cursor_execute", on_execute)


@dataclass
class RunningService:
    runtime: Any
    app: Any
    client: httpx.AsyncClient


@asynccontextmanager
async def running(
    build: Callable[..., tuple[Any, Any]],
    settings: Any,
    *,
    clock: Callable[[], datetime] | None = None,
    workers: bool = True,
) -> AsyncIterator[RunningService]:
    """Start a service in-process (real DB, real broker) and give an HTTP client bound to its app."""
    runtime, app = build(settings, clock) if clock else build(settings)
    await runtime.start(workers=workers)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        try:
            yield RunningService(runtime, app, client)
        finally:
            await runtime.stop()
