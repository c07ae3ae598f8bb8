"""deploy/docker-compose.yml without a Docker engine: schema, wiring, health gating, topics, secrets, scaling."""

from __future__ import annotations

import importlib.resources
import json
import re
from typing import Any

import pytest
from deploy_support import DEPLOY, IN_CI, SERVICES, env_dict, interpolate, load_yaml, required_variables

from caseflow_common import topics

PORTS = {"intake": 8001, "dispatch": 8002, "escalation": 8003, "audit": 8004}
PINNED_IMAGE = re.compile(r"^[\w./-]+:(?!latest$)[\w.-]*\d[\w.-]*$")


def compose_schema() -> dict[str, Any]:
    """The Compose Specification JSON schema as shipped (and kept current) by check-jsonschema."""
    try:
        import jsonschema  # noqa: F401

        schema = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
        return json.loads(schema.read_text(encoding="utf-8"))
    except ModuleNotFoundError:
        message = "check-jsonschema (ships the compose-spec schema) is not installed in this environment"
        if IN_CI:
            pytest.fail(f"{message}; CI must have it")
        pytest.skip(message)


def compose_validator() -> Any:
    schema = compose_schema()
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)  # the schema's own draft (2020-12 today)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.scale.yml", "docker-compose.tls.yml"])
def test_the_compose_files_validate_against_the_compose_specification_schema(name: str) -> None:
    document = interpolate(load_yaml(DEPLOY / name))
    errors = sorted(compose_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_schema_check_rejects_a_misspelt_health_check(compose: dict[str, Any]) -> None:
    document = interpolate(compose)
    document["services"]["intake"]["helthcheck"] = document["services"]["intake"].pop("healthcheck")
    assert any("helthcheck" in e.message for e in compose_validator().iter_errors(document))


def test_every_top_level_key_and_service_key_is_one_compose_knows(compose: dict[str, Any]) -> None:
    # The strict structural floor that holds even where the schema package is not installed.
    assert set(compose) <= {"name", "services", "volumes", "networks", "configs", "secrets"} | {
        k for k in compose if k.startswith("x-")
    }
    known = {
        "image",
        "build",
        "command",
        "entrypoint",
        "environment",
        "ports",
        "volumes",
        "healthcheck",
        "depends_on",
        "restart",
        "deploy",
        "read_only",
        "tmpfs",
        "networks",
        "user",
        "expose",
        "configs",
        "secrets",
    }
    for name, service in compose["services"].items():
        assert set(service) <= known, f"{name}: unknown keys {set(service) - known}"
        assert "image" in service, f"{name} has no image"


def test_every_image_is_pinned_to_a_version_tag(compose: dict[str, Any], scale_override: dict[str, Any]) -> None:
    for name, service in {**compose["services"], **scale_override["services"]}.items():
        image = interpolate(service.get("image", "caseflow:local"))
        assert PINNED_IMAGE.match(image) or image == "caseflow:local", f"{name} image {image!r} is not pinned"


def test_no_secret_has_a_default_value(compose_text: str) -> None:
    secrets = {
        "CASEFLOW_AUTH_SECRET",
        "POSTGRES_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
        "INTAKE_PHONE_HASH_KEY",
        "INTAKE_PHONE_ENCRYPTION_KEYS",
        "INTAKE_OPEN311_API_KEYS",
        *(f"{svc.upper()}_DB_PASSWORD" for svc in SERVICES),
        "KAFKA_ADMIN_PASSWORD",
        "KAFKA_BROKER_PASSWORD",
        "KAFKA_CONTROLLER_PASSWORD",
        *(f"{svc.upper()}_KAFKA_PASSWORD" for svc in SERVICES),
        "EXPORTER_KAFKA_PASSWORD",
        "MONITOR_DB_PASSWORD",
    }
    assert secrets <= required_variables(compose_text)
    assert not re.search(r"(PASSWORD|SECRET|_KEYS?)\b[^\n]*:-", compose_text), "a secret falls back to a default"


def test_env_example_names_every_required_variable(compose_text: str) -> None:
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.M))
    assert required_variables(compose_text) <= named


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_runs_its_module_on_its_port_with_a_readiness_health_check(
    compose: dict[str, Any], svc: str
) -> None:
    service = compose["services"][svc]
    env = env_dict(service["environment"])
    port = PORTS[svc]
    assert service["command"] == ["python", "-m", svc]
    assert env["CASEFLOW_HTTP_PORT"] == str(port)
    assert [p.rsplit(":", 2)[-2:] for p in interpolate(service["ports"])] == [[str(port), str(port)]]
    probe = " ".join(service["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/readyz" in probe
    assert service["deploy"]["replicas"] >= 1


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_starts_only_after_its_migrations_the_bus_lock_and_the_topics(
    compose: dict[str, Any], svc: str
) -> None:
    services = compose["services"]
    assert services[svc]["depends_on"] == {
        f"{svc}-migrate": {"condition": "service_completed_successfully"},
        "kafka-acls": {"condition": "service_completed_successfully"},
        "kafka-topics": {"condition": "service_completed_successfully"},
    }
    migrate = services[f"{svc}-migrate"]
    assert f"python -m {svc} migrate" in " ".join(migrate["command"])
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"
    assert env_dict(migrate["environment"]) == env_dict(services[svc]["environment"])


def test_postgres_and_kafka_gate_their_dependents_with_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgres", "kafka", "prometheus", "grafana"):
        assert services[name]["healthcheck"]["test"], name
    assert services["kafka-topics"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert services["kafka-acls"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}


def test_kafka_runs_kraft_without_auto_created_topics(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = env_dict(kafka["environment"])
    assert kafka["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "ZOOKEEPER" not in " ".join(env)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "CLIENT://kafka:9092"  # SASL/SCRAM: test_deploy_kafka_acls.py


def test_the_topic_creator_makes_every_topic_with_the_partition_count_the_services_expect(
    compose: dict[str, Any], service_envs: dict[str, dict[str, str]]
) -> None:
    creator = compose["services"]["kafka-topics"]
    env = env_dict(creator["environment"])
    assert env["TOPICS"].split() == list(topics.ALL)
    assert '--partitions "$$TOPIC_PARTITIONS"' in creator["command"][0]
    partitions = int(env["TOPIC_PARTITIONS"])
    assert partitions >= 2
    for svc, svc_env in service_envs.items():
        assert svc_env["CASEFLOW_TOPIC_PARTITIONS"] == str(partitions), svc
        assert svc_env["CASEFLOW_CREATE_TOPICS"] == "false", f"{svc} would race the topic creator"
        assert svc_env["CASEFLOW_KAFKA_BOOTSTRAP"] == "kafka:9092"


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_uses_its_own_database_created_at_init(service_envs: dict[str, dict[str, str]], svc: str) -> None:
    url = service_envs[svc]["CASEFLOW_DATABASE_URL"]
    assert re.fullmatch(
        rf"postgresql\+asyncpg://{svc}:\$\{{{svc.upper()}_DB_PASSWORD:\?[^}}]*\}}@postgres:5432/{svc}", url
    )
    script = (DEPLOY / "postgres" / "initdb" / "10-caseflow-databases.sh").read_text(encoding="utf-8")
    assert f"${{CASEFLOW_DATABASES:-{' '.join(SERVICES)}}}" in script


def test_the_scale_override_publishes_ports_once_through_the_gateway(
    compose: dict[str, Any], scale_override: dict[str, Any]
) -> None:
    overrides = scale_override["services"]
    for svc in SERVICES:
        assert overrides[svc]["ports"] == [], f"{svc} replicas would fight over one host port"
        assert re.fullmatch(r"\$\{[A-Z]+_REPLICAS:-\d+\}", overrides[svc]["deploy"]["replicas"])
    gateway_ports = [p.rsplit(":", 2)[-2:] for p in interpolate(overrides["gateway"]["ports"])]
    assert gateway_ports == [[str(p), str(p)] for p in PORTS.values()]
    nginx = (DEPLOY / "gateway" / "nginx.conf").read_text(encoding="utf-8")
    for svc, port in PORTS.items():
        assert re.search(rf"listen {port};.*set \$svc {svc}:{port};", nginx), svc
    assert set(overrides) - {"gateway"} <= set(compose["services"])
