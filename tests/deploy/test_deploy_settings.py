"""The compose environment of every service against the Settings class the service really reads (catches drift)."""

from __future__ import annotations

import os

import pytest
from deploy_support import SERVICES, interpolate, settings_class

PREFIX = "CASEFLOW_"


@pytest.mark.parametrize("svc", SERVICES)
def test_every_caseflow_variable_in_compose_is_a_setting_the_service_reads(
    service_envs: dict[str, dict[str, str]], svc: str
) -> None:
    fields = set(settings_class(svc).model_fields)
    unknown = sorted(k for k in service_envs[svc] if k.startswith(PREFIX) and k[len(PREFIX) :].lower() not in fields)
    assert not unknown, f"{svc} is given variables its Settings do not have: {unknown}"


@pytest.mark.parametrize("svc", SERVICES)
def test_production_critical_settings_are_set_for_every_service(
    service_envs: dict[str, dict[str, str]], svc: str
) -> None:
    env = service_envs[svc]
    assert env["CASEFLOW_ENV"] == "prod"
    assert env["CASEFLOW_HTTP_HOST"] == "0.0.0.0"
    assert env["CASEFLOW_KAFKA_IDEMPOTENCE"] == "true"
    assert env["CASEFLOW_KAFKA_BOOTSTRAP"]
    assert env["CASEFLOW_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env["CASEFLOW_AUTH_SECRET"].startswith("${CASEFLOW_AUTH_SECRET:?")


@pytest.mark.parametrize("svc", SERVICES)
def test_the_compose_environment_builds_valid_production_settings(
    service_envs: dict[str, dict[str, str]], svc: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Required secrets stand in with strong placeholders; a Settings validator that refuses the result means the
    # service would not start in production with this compose file (a missing secret, a wrong type).
    for key in [k for k in os.environ if k.startswith(PREFIX)]:
        monkeypatch.delenv(key)
    env = interpolate(service_envs[svc])
    placeholders = {
        "CASEFLOW_PHONE_ENCRYPTION_KEYS": '["pHT1m1IXvbdUJlpTuMLmLYtqO6bU5vGkfnCvAqTmvmM="]',
        "CASEFLOW_OPEN311_API_KEYS": '{"open311-client-key-0123456789": "open311-client"}',
    }
    for key, value in env.items():
        monkeypatch.setenv(key, placeholders.get(key, value) if service_envs[svc][key].startswith("${") else value)
    settings = settings_class(svc)()
    assert settings.env == "prod"
    assert settings.service_name == svc
    assert settings.kafka_idempotence is True
    assert settings.http_host == "0.0.0.0"
    assert str(settings.http_port) == env["CASEFLOW_HTTP_PORT"]
    assert settings.topic_partitions == int(env["CASEFLOW_TOPIC_PARTITIONS"])
