"""deploy/alertmanager: valid for amtool, wired into compose and Prometheus, and routing each alert of alerts.yml by
its severity (critical pages, warning opens a ticket), grouped per service."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from deploy_support import DEPLOY, load_yaml, tool_or_skip

ALERTMANAGER = DEPLOY / "alertmanager"
RULES = [r for g in load_yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"] for r in g["rules"]]
RECEIVER_OF = {"critical": "page", "warning": "ticket"}


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool_or_skip("amtool"), *args], cwd=ALERTMANAGER, capture_output=True, text=True, timeout=60)


def test_amtool_accepts_the_configuration() -> None:
    result = amtool("check-config", "alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_severity_that_routes_somewhere_on_purpose() -> None:
    assert {r["labels"]["severity"] for r in RULES} <= set(RECEIVER_OF)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r["alert"])
def test_each_alert_reaches_the_receiver_its_severity_names(rule: dict[str, Any]) -> None:
    labels = [f"alertname={rule['alert']}", "service=intake", *(f"{k}={v}" for k, v in rule["labels"].items())]
    result = amtool("config", "routes", "test", "--config.file=alertmanager.yml", *labels)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [RECEIVER_OF[rule["labels"]["severity"]]]


def test_alerts_are_grouped_per_service_and_a_down_service_silences_its_own_warnings() -> None:
    config = load_yaml(ALERTMANAGER / "alertmanager.yml")
    assert {"service", "alertname"} <= set(config["route"]["group_by"])
    (inhibit,) = config["inhibit_rules"]
    assert inhibit["source_matchers"] == ['severity="critical"'] and inhibit["target_matchers"] == [
        'severity="warning"'
    ]
    assert "service" in inhibit["equal"]
    receivers = {r["name"]: r for r in config["receivers"]}
    assert set(receivers) == set(RECEIVER_OF.values())
    for receiver in receivers.values():
        (hook,) = receiver["webhook_configs"]
        assert hook["url"].split("/")[2].split(":")[0].endswith(".invalid"), "an example address, never a real host"


def test_prometheus_sends_its_alerts_to_the_alertmanager_compose_runs(compose: dict[str, Any]) -> None:
    prometheus = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    (manager,) = prometheus["alerting"]["alertmanagers"]
    assert manager["static_configs"] == [{"targets": ["alertmanager:9093"]}]
    service = compose["services"]["alertmanager"]
    assert "./alertmanager:/etc/alertmanager:ro" in service["volumes"]
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in service["command"]
    assert "http://127.0.0.1:9093/-/ready" in " ".join(service["healthcheck"]["test"])
    assert compose["services"]["prometheus"]["depends_on"]["alertmanager"] == {"condition": "service_healthy"}
