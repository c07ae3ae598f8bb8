"""Prometheus config, alert rules and the Grafana dashboard: valid for promtool, and built on metrics the code defines."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
from typing import Any

from deploy_support import DEPLOY, SERVICES, env_dict, load_yaml, tool_or_skip
from prometheus_client import REGISTRY

PROMETHEUS = DEPLOY / "prometheus"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
METRIC = re.compile(r"\b(caseflow_[a-z0-9_]+|up)\b(?:\{([^}]*)\})?")
BY = re.compile(r"\bby\s*\(([^)]*)\)")
# Labels Prometheus adds to every scraped series, and the histogram bucket label.
TARGET_LABELS = {"job", "instance", "le"}
PINNED_EXPORTER = re.compile(r"^(danielqsj/kafka-exporter|prometheuscommunity/postgres-exporter):v\d+\.\d+\.\d+$")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool_or_skip("promtool"), *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60)


def test_promtool_accepts_the_prometheus_config_and_its_rule_files() -> None:
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_alert_rules() -> None:
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_on_the_series_that_should_trigger_it() -> None:
    result = promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", (PROMETHEUS / "alerts.test.yml").read_text()))
    defined = {r["alert"] for g in load_yaml(PROMETHEUS / "alerts.yml")["groups"] for r in g["rules"]}
    assert defined == tested, f"untested: {sorted(defined - tested)}"


def test_prometheus_scrapes_every_service_on_the_port_compose_gives_it(compose: dict[str, Any]) -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for svc in SERVICES:
        port = int(env_dict(compose["services"][svc]["environment"])["CASEFLOW_HTTP_PORT"])
        (sd,) = jobs[svc]["dns_sd_configs"]
        assert (sd["names"], sd["type"], sd["port"]) == ([svc], "A", port)
        assert jobs[svc].get("metrics_path", "/metrics") == "/metrics"
    assert "alerts.yml" in config["rule_files"]
    mounted = compose["services"]["prometheus"]["volumes"]
    assert "./prometheus:/etc/prometheus:ro" in mounted


# What the exporters of the compose file publish that the alert rules and dashboards use (their documented names).
EXPORTER_METRICS = {
    "kafka": {"kafka_brokers": set(), "kafka_consumergroup_lag": {"consumergroup", "topic", "partition"}},
    "postgres": {
        "pg_up": set(),
        "pg_stat_activity_count": {"server", "datname", "state"},
        "pg_settings_max_connections": {"server"},
        "pg_replication_lag_seconds": set(),
        "pg_replication_is_replica": set(),
    },
}


def test_prometheus_scrapes_the_kafka_and_postgres_exporters_compose_runs(compose: dict[str, Any]) -> None:
    jobs = {job["job_name"]: job for job in load_yaml(PROMETHEUS / "prometheus.yml")["scrape_configs"]}
    services = compose["services"]
    for job, (service, port) in {"kafka": ("kafka-exporter", 9308), "postgres": ("postgres-exporter", 9187)}.items():
        assert jobs[job]["static_configs"] == [{"targets": [f"{service}:{port}"]}]
        assert PINNED_EXPORTER.match(services[service]["image"]), services[service]["image"]
    assert f"--web.listen-address=:{9308}" in services["kafka-exporter"]["command"]
    assert services["prometheus"]["depends_on"]["kafka-exporter"] == {"condition": "service_started"}
    env = env_dict(services["postgres-exporter"]["environment"])
    assert env["DATA_SOURCE_USER"] == "caseflow_monitor" and env["DATA_SOURCE_URI"].startswith("postgres:5432/")
    assert env["DATA_SOURCE_PASS"].startswith("${MONITOR_DB_PASSWORD:?")
    assert env_dict(services["postgres"]["environment"])["MONITOR_DB_PASSWORD"] == env["DATA_SOURCE_PASS"]


def test_the_platform_alerts_use_only_what_the_exporters_publish() -> None:
    known = {name: labels for metrics in EXPORTER_METRICS.values() for name, labels in metrics.items()}
    used: set[str] = set()
    for where, expr in expressions():
        for name, matchers in re.findall(r"\b((?:kafka|pg)_[a-z_]+)\b(?:\{([^}]*)\})?", expr):
            assert name in known, f"{where}: {name} is not one of the exporters' metrics"
            for label in re.findall(r"(\w+)\s*[=!]~?", matchers):
                assert label in known[name] | TARGET_LABELS, f"{where}: {name} has no label {label!r}"
            used.add(name)
    assert used == set(known), f"listed but unused: {set(known) - used}"


def code_metrics() -> dict[str, set[str]]:
    """Every metric name the four services expose, with its label names (imports each service's wiring)."""
    for svc in SERVICES:
        importlib.import_module(f"{svc}.bootstrap")
    found: dict[str, set[str]] = {}
    for name, collector in REGISTRY._names_to_collectors.items():
        found[name] = set(getattr(collector, "_labelnames", ()))
    return found


def expressions() -> list[tuple[str, str]]:
    """(where, PromQL) of every alert rule and every dashboard panel target."""
    out = [
        (f"alert {r['alert']}", r["expr"]) for g in load_yaml(PROMETHEUS / "alerts.yml")["groups"] for r in g["rules"]
    ]
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            out += [(f"{path.name}: {panel['title']}", t["expr"]) for t in panel.get("targets", [])]
    return out


def test_alerts_and_dashboards_use_only_metrics_and_labels_the_code_defines() -> None:
    metrics = code_metrics()
    problems: list[str] = []
    for where, expr in expressions():
        used = METRIC.findall(expr)
        labels: set[str] = set()
        for name, matchers in used:
            if name == "up":
                continue
            if name not in metrics:
                problems.append(f"{where}: {name} is not defined by any service")
                continue
            labels |= metrics[name]
            for label in re.findall(r"(\w+)\s*[=!]~?", matchers):
                if label not in metrics[name] | TARGET_LABELS:
                    problems.append(f"{where}: {name} has no label {label!r}")
        for group in BY.findall(expr):
            for label in filter(None, (x.strip() for x in group.split(","))):
                if labels and label not in labels | TARGET_LABELS:
                    problems.append(f"{where}: grouping by {label!r}, which none of its metrics has")
    assert not problems, "\n".join(problems)


def test_the_issue_named_metrics_are_all_on_the_dashboard_or_in_an_alert() -> None:
    text = " ".join(expr for _, expr in expressions())
    for name in (
        "caseflow_cases_received_total",
        "caseflow_cases_dispatched_total",
        "caseflow_case_actions_total",
        "caseflow_consumer_lag",
        "caseflow_sla_breaches_total",
        "caseflow_supervision_actions_total",
        "caseflow_http_requests_total",
        "caseflow_http_request_duration_seconds_bucket",
        "caseflow_dispatch_latency_seconds_bucket",
        "caseflow_outbox_backlog",
        "caseflow_outbox_oldest_age_seconds",
        "caseflow_dlq_messages_total",
        "caseflow_chain_verification_failures_total",
    ):
        assert name in text, name


def test_grafana_provisions_the_data_source_the_dashboard_refers_to() -> None:
    (source,) = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert source["url"] == "http://prometheus:9090"
    (provider,) = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "caseflow.yml")["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    dashboard = json.loads((DASHBOARDS / "caseflow-overview.json").read_text(encoding="utf-8"))
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            assert panel["targets"], panel["title"]
