"""deploy/postgres/initdb script against the real PostgreSQL: one role and one database per service, no password, no db."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess

import pytest
from deploy_support import DEPLOY

SCRIPT = DEPLOY / "postgres" / "initdb" / "10-caseflow-databases.sh"
PG = {"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "postgres", "POSTGRES_USER": "postgres"}

pytestmark = pytest.mark.postgres


def psql(*sql: str, env: dict[str, str] | None = None, db: str = "postgres") -> subprocess.CompletedProcess[str]:
    args = ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", db]
    for statement in sql:
        args += ["-c", statement]
    return subprocess.run(args, env={**os.environ, **PG, **(env or {})}, capture_output=True, text=True, timeout=30)


@pytest.fixture
def server() -> None:
    reachable = shutil.which("psql") is not None and psql("SELECT 1").returncode == 0
    if not reachable:
        if os.environ.get("CASEFLOW_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL on 127.0.0.1:5432 and psql are required (CASEFLOW_TEST_REQUIRE_POSTGRES=1)")
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 or no psql")


@pytest.fixture
def names(server: None) -> list[str]:
    prefix = f"deploytest_{secrets.token_hex(3)}_"
    created = [prefix + "intake", prefix + "audit"]
    yield created
    for name in created:
        psql(f'DROP DATABASE IF EXISTS "{name}"', f'DROP ROLE IF EXISTS "{name}"')


def run_script(names: list[str], passwords: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **PG, "CASEFLOW_DATABASES": " ".join(names), **passwords}
    return subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_each_service_gets_its_own_database_owned_by_its_own_login(names: list[str]) -> None:
    passwords = {f"{n.upper()}_DB_PASSWORD": f"pw-{n}-it's" for n in names}
    result = run_script(names, passwords)
    assert result.returncode == 0, result.stderr
    for name in names:
        owner = psql(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{name}'").stdout.strip()
        assert owner == name
        created = psql("CREATE TABLE t (x int); SELECT current_user", env={"PGUSER": name}, db=name)
        assert created.stdout.strip().splitlines()[-1] == name, created.stderr
    other = psql(f"SELECT has_database_privilege('{names[0]}', '{names[1]}', 'CONNECT')").stdout.strip()
    assert other == "f", "one service's login can connect to another service's database"


def test_the_script_refuses_a_service_without_a_password(names: list[str]) -> None:
    result = run_script(names, {f"{names[0].upper()}_DB_PASSWORD": "only-the-first"})
    assert result.returncode != 0
    assert f"{names[1].upper()}_DB_PASSWORD is not set" in result.stderr
    exists = psql(f"SELECT count(*) FROM pg_database WHERE datname = '{names[1]}'").stdout.strip()
    assert exists == "0"


MONITORING = DEPLOY / "postgres" / "initdb" / "20-caseflow-monitoring.sh"


@pytest.fixture
def monitor(names: list[str]) -> str:
    role = names[0].rsplit("_", 1)[0] + "_monitor"
    yield role
    psql(f'DROP ROLE IF EXISTS "{role}"')


def run_monitoring(role: str, password: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **PG, "CASEFLOW_MONITOR_ROLE": role}
    env.pop("MONITOR_DB_PASSWORD", None)
    if password is not None:
        env["MONITOR_DB_PASSWORD"] = password
    return subprocess.run(["sh", str(MONITORING)], env=env, capture_output=True, text=True, timeout=60)


def test_the_exporters_login_reads_the_statistics_and_nothing_of_the_services(names: list[str], monitor: str) -> None:
    assert run_script(names, {f"{n.upper()}_DB_PASSWORD": "pw" for n in names}).returncode == 0
    result = run_monitoring(monitor, "monitor-pw-it's")
    assert result.returncode == 0, result.stderr
    as_monitor = {"PGUSER": monitor}
    # What postgres-exporter asks: every session's state (not only its own), settings, replication.
    seen = psql(
        "SELECT count(*) FROM pg_stat_activity WHERE usename = 'postgres' AND query <> '<insufficient privilege>'",
        "SELECT setting FROM pg_settings WHERE name = 'max_connections'",
        "SELECT pg_is_in_recovery()",
        env=as_monitor,
    )
    assert seen.returncode == 0, seen.stderr
    others, max_connections, recovery = seen.stdout.split()
    assert int(others) >= 1 and int(max_connections) > 0 and recovery == "f"
    rights = psql(
        f"SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = '{monitor}'",
        f"SELECT pg_has_role('{monitor}', 'pg_monitor', 'MEMBER')",
        f"SELECT has_database_privilege('{monitor}', '{names[0]}', 'CONNECT')",
    ).stdout.split()
    assert rights == ["f|f|f|f", "t", "f"]
    refused = psql("SELECT 1", env=as_monitor, db=names[0])
    assert refused.returncode != 0, "the monitoring login connected to a service's database"


def test_the_monitoring_login_is_refused_without_a_password(server: None) -> None:
    result = run_monitoring(f"deploytest_{secrets.token_hex(3)}_monitor", None)
    assert result.returncode != 0 and "MONITOR_DB_PASSWORD is not set" in result.stderr
