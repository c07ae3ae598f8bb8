"""The locked bus: deploy/kafka/acls.sh run against stand-in Kafka tools, its grants compared with the topic map the
code defines (topics.py, contracts.producer_of, each service's ServiceSpec.consumes); the broker's first start; the
SASL settings compose gives the services against what the services' settings understand."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from deploy_support import DEPLOY, REQUIRED_PLACEHOLDER, SERVICES, env_dict, interpolate, load_yaml, settings_class

import audit.bootstrap
import dispatch.bootstrap
import escalation.bootstrap
import intake.bootstrap
from caseflow_common import contracts, topics
from caseflow_common.messaging.kafka import client_security
from caseflow_common.testing import service_settings

KAFKA = DEPLOY / "kafka"
BUILDS = {
    "intake": intake.bootstrap.build,
    "dispatch": dispatch.bootstrap.build,
    "escalation": escalation.bootstrap.build,
    "audit": audit.bootstrap.build,
}
EXPORTER = "exporter"  # kafka-exporter's principal: describes topics and groups, nothing else
PASSWORDS = {name: f"{name}-scram-password-0123456789abcdef" for name in (*SERVICES, EXPORTER)}
ADMIN_PASSWORD = "admin-scram-password-0123456789abcdef"
# A stand-in for kafka-acls.sh / kafka-configs.sh: records its name and arguments, NUL-separated, one call a line.
STUB = '#!/bin/sh\n{ printf "%s\\0" "$(basename "$0")" "$@"; printf "\\n"; } >> "$CALLS"\n'

Grant = tuple[str, str, str, str]  # (principal, operation, resource type, resource name)


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each service's ServiceSpec, as its own bootstrap builds it (nothing is started)."""
    tmp = tmp_path_factory.mktemp("specs")
    out = {}
    for svc, build in BUILDS.items():
        settings = service_settings(
            settings_class(svc),
            broker="127.0.0.1:9",
            prefix="",
            database_url=f"sqlite+aiosqlite:///{tmp / svc}.db",
        )
        runtime, _ = build(settings)
        out[svc] = runtime.spec
    return out


def run_acls(tmp: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("kafka-acls.sh", "kafka-configs.sh"):
        (bin_dir / tool).write_text(STUB)
        (bin_dir / tool).chmod(0o755)
    base = {"PATH": os.environ["PATH"], "TOOLS_BIN": str(bin_dir), "CALLS": str(tmp / "calls")}
    base["ADMIN_CONFIG"] = str(tmp / "admin.properties")
    sh = shutil.which("dash") or "/bin/sh"  # the image's /bin/sh is not bash: the script must be plain POSIX sh
    return subprocess.run([sh, str(KAFKA / "acls.sh")], env={**base, **env}, capture_output=True, text=True, timeout=60)


def calls(tmp: Path) -> list[list[str]]:
    path = tmp / "calls"
    if not path.exists():
        return []
    return [line.split("\0") for line in path.read_text().split("\0\n") if line]


def flag_values(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == flag]


def all_passwords() -> dict[str, str]:
    return {"SCRAM_ADMIN_PASSWORD": ADMIN_PASSWORD, **{f"{s.upper()}_KAFKA_PASSWORD": p for s, p in PASSWORDS.items()}}


@pytest.fixture(scope="module")
def script_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    tmp = tmp_path_factory.mktemp("acls")
    done = run_acls(tmp, all_passwords())
    assert done.returncode == 0, done.stderr
    return done, calls(tmp)


@pytest.fixture(scope="module")
def grants(script_run: tuple[Any, list[list[str]]]) -> set[Grant]:
    """Every ACL the script adds, one (principal, operation, resource type, name) per allowed operation."""
    out: set[Grant] = set()
    for call in script_run[1]:
        tool, args = call[0], call[1:]
        if tool != "kafka-acls.sh" or "--add" not in args:
            continue
        assert "--deny-principal" not in args and "--cluster" not in args and "--transactional-id" not in args
        assert flag_values(args, "--resource-pattern-type") == ["literal"], args  # never prefixed or match
        (principal,) = flag_values(args, "--allow-principal")
        resources = [("topic", t) for t in flag_values(args, "--topic")] + [
            ("group", g) for g in flag_values(args, "--group")
        ]
        assert len(resources) == 1, args
        (kind, name) = resources[0]
        assert "*" not in name, f"{principal}: wildcard {kind} {name}"
        for op in flag_values(args, "--operation"):
            out.add((principal, op, kind, name))
    return out


def allowed(grants: set[Grant], svc: str, op: str, kind: str = "topic") -> set[str]:
    return {name for p, o, k, name in grants if p == f"User:{svc}" and o == op and k == kind}


def test_the_topic_map_of_the_code_gives_each_producing_service_its_own_topic(specs: dict[str, Any]) -> None:
    for svc, spec in specs.items():
        owned = {t for t in topics.ALL if contracts.producer_of(t) == svc}
        assert owned == ({spec.own_topic} if spec.own_topic else set()), svc
    assert [s for s in SERVICES if specs[s].own_topic is None] == ["audit"]


def test_the_script_grants_to_exactly_one_principal_per_service_and_the_exporter(grants: set[Grant]) -> None:
    assert {p for p, *_ in grants} == {f"User:{svc}" for svc in SERVICES} | {f"User:{EXPORTER}"}


def test_the_exporter_only_describes_every_topic_and_every_services_group(grants: set[Grant]) -> None:
    # kafka-exporter: end offsets (Describe topic) and committed offsets (Describe group); it reads no event.
    mine = {(op, kind, name) for p, op, kind, name in grants if p == f"User:{EXPORTER}"}
    assert mine == {("Describe", "topic", t) for t in topics.ALL} | {
        ("Describe", "group", f"caseflow-{svc}") for svc in SERVICES
    }


def test_the_exporter_logs_in_as_the_user_the_script_creates(compose: dict[str, Any]) -> None:
    exporter = compose["services"]["kafka-exporter"]
    flags = dict(arg.removeprefix("--").split("=", 1) if "=" in arg else (arg[2:], "") for arg in exporter["command"])
    acls_env = env_dict(compose["services"]["kafka-acls"]["environment"])
    assert flags["kafka.server"] == "kafka:9092" and "sasl.enabled" in flags
    assert flags["sasl.mechanism"] == "scram-sha512"  # SCRAM-SHA-512, as the broker's CLIENT listener takes it
    assert kafka_env(compose)["KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert flags["sasl.username"] == EXPORTER
    assert re.fullmatch(r"\$\{EXPORTER_KAFKA_PASSWORD:\?[^}]*\}", flags["sasl.password"])
    assert acls_env["EXPORTER_KAFKA_PASSWORD"] == flags["sasl.password"]
    assert re.match(r"\^caseflow", flags["topic.filter"]) and re.match(r"\^caseflow-", flags["group.filter"])
    assert exporter["depends_on"] == {"kafka-acls": {"condition": "service_completed_successfully"}}


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_writes_exactly_its_own_topic_and_the_dead_letter_topic(
    grants: set[Grant], specs: dict[str, Any], svc: str
) -> None:
    own = {specs[svc].own_topic} - {None}
    assert allowed(grants, svc, "Write") == own | {topics.DLQ}


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_reads_exactly_what_it_consumes_and_the_dead_letter_topic(
    grants: set[Grant], specs: dict[str, Any], svc: str
) -> None:
    # The DLQ: python -m <svc> dlq-replay reads it back; it only holds events of topics the service reads or writes.
    assert allowed(grants, svc, "Read") == set(specs[svc].consumes) | {topics.DLQ}


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_describes_only_the_topics_it_writes_or_reads(
    grants: set[Grant], specs: dict[str, Any], svc: str
) -> None:
    used = ({specs[svc].own_topic} - {None}) | set(specs[svc].consumes) | {topics.DLQ}
    assert allowed(grants, svc, "Describe") == used  # what the broker guard watches: own + consumed + DLQ


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_uses_only_its_own_consumer_group(grants: set[Grant], svc: str) -> None:
    assert allowed(grants, svc, "Read", "group") == {f"caseflow-{svc}"}
    assert allowed(grants, svc, "Describe", "group") == {f"caseflow-{svc}"}


def test_no_service_may_do_anything_else(grants: set[Grant]) -> None:
    services = {g for g in grants if g[0] != f"User:{EXPORTER}"}
    assert {op for _, op, *_ in services} == {"Write", "Read", "Describe"}
    assert {kind for *_, kind, _ in grants} == {"topic", "group"}


def test_every_service_user_is_created_with_scram_sha_512_and_its_own_password(
    script_run: tuple[Any, list[list[str]]],
) -> None:
    created = {}
    for call in script_run[1]:
        if call[0] == "kafka-configs.sh":
            args = call[1:]
            assert "--alter" in args and flag_values(args, "--entity-type") == ["users"]
            (config,) = flag_values(args, "--add-config")
            created[flag_values(args, "--entity-name")[0]] = config
            assert flag_values(args, "--command-config"), "the admin logs in"
    assert created == {name: f"SCRAM-SHA-512=[iterations=8192,password={pw}]" for name, pw in PASSWORDS.items()}


def test_the_script_prints_no_password(script_run: tuple[subprocess.CompletedProcess[str], Any]) -> None:
    done = script_run[0]
    for secret in (ADMIN_PASSWORD, *PASSWORDS.values()):
        assert secret not in done.stdout + done.stderr


@pytest.mark.parametrize("bad", ["", "short-0123", 'quote"in-the-password-0123456789', "comma,in-the-password-0123456"])
def test_a_missing_or_unusable_password_changes_nothing(tmp_path: Path, bad: str) -> None:
    done = run_acls(tmp_path, {**all_passwords(), "AUDIT_KAFKA_PASSWORD": bad})
    assert done.returncode != 0
    assert "AUDIT_KAFKA_PASSWORD" in done.stderr and (not bad or bad not in done.stderr)
    assert calls(tmp_path) == []  # checked before any user or ACL is touched


def test_a_missing_exporter_password_changes_nothing(tmp_path: Path) -> None:
    done = run_acls(tmp_path, {k: v for k, v in all_passwords().items() if k != "EXPORTER_KAFKA_PASSWORD"})
    assert done.returncode != 0 and "EXPORTER_KAFKA_PASSWORD" in done.stderr
    assert calls(tmp_path) == []


def test_the_admin_login_file_is_written_for_the_owner_only(tmp_path: Path) -> None:
    assert run_acls(tmp_path, all_passwords()).returncode == 0
    admin = tmp_path / "admin.properties"
    assert admin.stat().st_mode & 0o077 == 0
    text = admin.read_text()
    assert "sasl.mechanism=SCRAM-SHA-512" in text and 'username="admin"' in text


# --- the broker -------------------------------------------------------------------------------------------------


def kafka_env(compose: dict[str, Any]) -> dict[str, str]:
    return env_dict(compose["services"]["kafka"]["environment"])


def test_the_broker_allows_nothing_that_no_acl_allows(compose: dict[str, Any]) -> None:
    env = kafka_env(compose)
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    supers = set(env["KAFKA_SUPER_USERS"].split(";"))
    assert "User:admin" in supers
    assert not supers & {f"User:{svc}" for svc in SERVICES}, "a service principal must not bypass its ACLs"


def test_every_listener_authenticates_and_clients_use_scram(compose: dict[str, Any]) -> None:
    env = kafka_env(compose)
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    listeners = [item.split("://")[0] for item in env["KAFKA_LISTENERS"].split(",")]
    assert set(listeners) == set(protocols) == {"CLIENT", "CONTROLLER"}
    assert all(p.startswith("SASL_") for p in protocols.values()), protocols
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "CLIENT://kafka:9092"
    assert env["KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"


def test_the_brokers_own_passwords_come_from_deploy_env(compose: dict[str, Any]) -> None:
    for key, value in kafka_env(compose).items():
        for password in re.findall(r'(?:password|user_\w+)="([^"]*)"', value):
            assert re.fullmatch(r"\$\{KAFKA_[A-Z]+_PASSWORD:\?[^}]*\}", password), f"{key}: literal secret"
        if "PASSWORD" in key:
            assert re.fullmatch(r"\$\{KAFKA_[A-Z]+_PASSWORD:\?[^}]*\}", value), key


def start_kafka(tmp: Path, compose: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    storage = bin_dir / "kafka-storage.sh"  # records its arguments and the config it was given
    storage.write_text(STUB + 'while [ $# -gt 0 ]; do [ "$1" = --config ] && cp "$2" "$CALLS.config"; shift; done\n')
    start = tmp / "image-start"
    start.write_text('#!/bin/sh\necho "image start"\n')
    for f in (storage, start):
        f.chmod(0o755)
    env = interpolate(kafka_env(compose))
    env.update(
        KAFKA_LOG_DIRS=str(tmp / "data"),
        PATH=os.environ["PATH"],
        TOOLS_BIN=str(bin_dir),
        IMAGE_START=str(start),
        CALLS=str(tmp / "calls"),
        TMPDIR=str(tmp),
    )
    (tmp / "data").mkdir(exist_ok=True)
    return subprocess.run(["bash", str(KAFKA / "start-kafka.sh")], env=env, capture_output=True, text=True, timeout=60)


def test_the_first_start_formats_the_storage_with_the_admin_and_broker_scram_users(
    tmp_path: Path, compose: dict[str, Any]
) -> None:
    done = start_kafka(tmp_path, compose)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("image start")
    ((tool, *args),) = calls(tmp_path)
    assert tool == "kafka-storage.sh" and args[0] == "format"
    assert flag_values(args, "--add-scram") == [
        f"SCRAM-SHA-512=[name=admin,password={REQUIRED_PLACEHOLDER}]",
        f"SCRAM-SHA-512=[name=broker,password={REQUIRED_PLACEHOLDER}]",
    ]
    assert REQUIRED_PLACEHOLDER not in done.stdout + done.stderr
    # The properties the broker is formatted with, named as the image names them from the environment.
    props = dict(line.split("=", 1) for line in (tmp_path / "calls.config").read_text().splitlines())
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:admin;User:broker;User:controller"
    assert props["sasl.mechanism.controller.protocol"] == "PLAIN"
    assert props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert 'username="broker"' in props["listener.name.client.scram-sha-512.sasl.jaas.config"]
    assert 'user_controller="' in props["listener.name.controller.plain.sasl.jaas.config"]
    assert props["log.dirs"] == str(tmp_path / "data")
    assert not [k for k in props if "scram.admin" in k or k.startswith("opts")]
    assert list(tmp_path.glob("tmp.*")) == [], "the rendered configuration (it holds passwords) is removed"


def test_a_later_start_leaves_the_formatted_storage_alone(tmp_path: Path, compose: dict[str, Any]) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "meta.properties").write_text("cluster.id=x\n")
    done = start_kafka(tmp_path, compose)
    assert done.returncode == 0, done.stderr
    assert calls(tmp_path) == [] and done.stdout.strip() == "image start"


# --- the services ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_logs_in_as_the_user_the_script_creates_with_the_password_it_is_given(
    compose: dict[str, Any], service_envs: dict[str, dict[str, str]], svc: str
) -> None:
    env = service_envs[svc]
    acls_env = env_dict(compose["services"]["kafka-acls"]["environment"])
    assert env["CASEFLOW_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert (
        env["CASEFLOW_KAFKA_SASL_MECHANISM"] == kafka_env(compose)["KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS"]
    )
    assert env["CASEFLOW_KAFKA_SASL_USERNAME"] == svc
    variable = f"{svc.upper()}_KAFKA_PASSWORD"
    assert re.fullmatch(rf"\$\{{{variable}:\?[^}}]*\}}", env["CASEFLOW_KAFKA_SASL_PASSWORD"])
    assert acls_env[variable] == env["CASEFLOW_KAFKA_SASL_PASSWORD"]  # the same value reaches the user's creation


@pytest.mark.parametrize("svc", SERVICES)
def test_the_compose_sasl_settings_become_the_services_kafka_client_login(
    service_envs: dict[str, dict[str, str]], svc: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("CASEFLOW_")]:
        monkeypatch.delenv(key)
    env = interpolate(service_envs[svc])
    env["CASEFLOW_PHONE_ENCRYPTION_KEYS"] = '["pHT1m1IXvbdUJlpTuMLmLYtqO6bU5vGkfnCvAqTmvmM="]'
    env["CASEFLOW_OPEN311_API_KEYS"] = "{}"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = settings_class(svc)()
    assert settings.group_id == f"caseflow-{svc}"  # the one group its ACLs allow
    assert client_security(settings) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": svc,
        "sasl_plain_password": REQUIRED_PLACEHOLDER,
    }


def test_the_kafka_tools_jobs_log_in_as_the_admin_and_wait_for_the_broker(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for job in ("kafka-acls", "kafka-topics"):
        assert services[job]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
        assert env_dict(services[job]["environment"])["SCRAM_ADMIN_PASSWORD"].startswith("${KAFKA_ADMIN_PASSWORD:?")
        assert "./kafka:/opt/caseflow/kafka:ro" in services[job]["volumes"]
    assert "--command-config" in services["kafka-topics"]["command"][0]
    assert services["kafka-acls"]["entrypoint"][-1] == "/opt/caseflow/kafka/acls.sh"
    assert "--command-config" in " ".join(services["kafka"]["healthcheck"]["test"])


# --- TLS (docker-compose.tls.yml) ---------------------------------------------------------------------------------


def test_the_tls_override_puts_sasl_inside_tls_for_every_client() -> None:
    tls = load_yaml(DEPLOY / "docker-compose.tls.yml")["services"]
    broker = env_dict(tls["kafka"]["environment"])
    assert "CLIENT:SASL_SSL" in broker["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    assert broker["KAFKA_SSL_KEYSTORE_TYPE"] == broker["KAFKA_SSL_TRUSTSTORE_TYPE"] == "PEM"
    assert "./kafka/tls:/etc/kafka/tls:ro" in tls["kafka"]["volumes"]
    for job in ("kafka", "kafka-acls", "kafka-topics"):
        env = env_dict(tls[job]["environment"])
        assert env["ADMIN_SECURITY_PROTOCOL"] == "SASL_SSL" and env["ADMIN_SSL_CAFILE"].startswith("/etc/kafka/tls/")
    for svc in SERVICES:
        env = env_dict(tls[svc]["environment"])
        assert env["CASEFLOW_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        mounts = {m.split(":")[1]: m.split(":")[0] for m in tls[svc]["volumes"]}
        assert mounts[env["CASEFLOW_KAFKA_SSL_CAFILE"]] == "./kafka/tls/ca.pem"
        assert set(env) <= {f"CASEFLOW_{field.upper()}" for field in settings_class(svc).model_fields}
    exporter = tls["kafka-exporter"]["command"]
    base = load_yaml(DEPLOY / "docker-compose.yml")["services"]["kafka-exporter"]["command"]
    assert exporter == [*base, "--tls.enabled", "--tls.ca-file=/etc/kafka/tls/ca.pem", "--tls.server-name=kafka"]
    assert tls["kafka-exporter"]["volumes"] == ["./kafka/tls/ca.pem:/etc/kafka/tls/ca.pem:ro"]
    gitignore = (KAFKA / "tls" / ".gitignore").read_text().split()
    assert "*" in gitignore, "keys and certificates never go into git"
