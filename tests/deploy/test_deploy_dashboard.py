"""The Grafana dashboard and the alert tests against what the services really publish: every panel's query names
only series a running service's /metrics shows (or the exporters publish), every dashboard variable is defined and
used, per-unit and per-topic panels show the top N, and the counters the alerts watch are on /metrics at 0 from the
start, exactly as alerts.test.yml feeds them."""

from __future__ import annotations

import importlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from deploy_support import DEPLOY, SERVICES, load_yaml, settings_class
from prometheus_client.parser import text_string_to_metric_families
from test_deploy_prometheus import EXPORTER_METRICS, code_metrics

from caseflow_common import topics
from caseflow_common.messaging.kafka import ensure_topics
from caseflow_common.testing import ManualClock, running, service_settings

DASHBOARD = DEPLOY / "grafana" / "dashboards" / "caseflow-overview.json"
SERIES = re.compile(r"\b((?:caseflow|kafka|pg)_[a-z0-9_]+|up)\b(?:\{([^}]*)\})?")
VARIABLE = re.compile(r"\$(?:\{)?(\w+)")
BUILT_IN = {"__range", "__interval", "__rate_interval", "__all"}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "summary": ("_count", "_sum")}
# Counters the alerts watch through increase(): on /metrics at 0 from the start (the service creates them), so the
# first dead letter, repair, failed verification or breach is an increase Prometheus can see.
WATCHED_FROM_START = (
    "caseflow_dlq_messages_total",
    "caseflow_broker_resets_total",
    "caseflow_chain_verification_failures_total",
    "caseflow_sla_breaches_total",
)


@pytest_asyncio.fixture(scope="module")
async def scraped(broker: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[dict[str, str]]]]:
    """Each service's /metrics right after its start (real broker, SQLite): metric name -> the label sets shown."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await ensure_topics(broker, [prefix + t for t in topics.ALL], partitions=3)
    tmp: Path = tmp_path_factory.mktemp("scraped")
    out: dict[str, dict[str, list[dict[str, str]]]] = {}
    for svc in SERVICES:
        build = importlib.import_module(f"{svc}.bootstrap").build
        settings = service_settings(
            settings_class(svc), broker=broker, prefix=prefix, database_url=f"sqlite+aiosqlite:///{tmp / svc}.db"
        )
        async with running(build, settings, clock=ManualClock()) as running_svc:
            text = (await running_svc.client.get("/metrics")).text
        found: dict[str, list[dict[str, str]]] = {}
        for family in text_string_to_metric_families(text):
            # Declared (# TYPE) even before its first sample: the names a scrape of this service can ever carry.
            for suffix in SUFFIXES.get(family.type, ("",)):
                found.setdefault(family.name + suffix, [])
            for sample in family.samples:
                found.setdefault(sample.name, []).append({**sample.labels, "__value__": str(sample.value)})
        out[svc] = found
    return out


def exported(scraped: dict[str, dict[str, list[dict[str, str]]]]) -> set[str]:
    return {name for found in scraped.values() for name in found}


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panel_queries() -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in dashboard()["panels"] for t in p.get("targets", [])]


async def test_every_panel_queries_only_series_the_services_or_the_exporters_publish(scraped: Any) -> None:
    names = exported(scraped) | {n for metrics in EXPORTER_METRICS.values() for n in metrics} | {"up"}
    problems = [
        f"{title}: {name}" for title, expr in panel_queries() for name, _ in SERIES.findall(expr) if name not in names
    ]
    assert not problems, "not on any service's /metrics nor an exporter's:\n" + "\n".join(problems)


def test_the_variables_are_defined_once_and_each_is_used_by_the_panels() -> None:
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert {"job", "instance", "unit", "topn"} <= set(variables)
    used = {name for _, expr in panel_queries() for name in VARIABLE.findall(expr)}
    used |= {name for p in dashboard()["panels"] for name in VARIABLE.findall(p["title"])}
    assert used - BUILT_IN <= set(variables), f"undefined: {used - BUILT_IN - set(variables)}"
    assert set(variables) <= used, f"defined but unused: {set(variables) - used}"
    # The replica list follows the chosen services; every service panel filters by both.
    assert "$job" in variables["instance"]["definition"]
    for title, expr in panel_queries():
        for name, matchers in SERIES.findall(expr):
            if name.startswith("caseflow_") and name != "caseflow_chain_verification_failures_total":
                assert 'instance=~"$instance"' in matchers, f"{title}: {name} ignores the replica variable"


def test_per_unit_and_per_topic_panels_show_the_top_n_not_every_series() -> None:
    for title, expr in panel_queries():
        if re.search(r"by \((?:[^)]*\b(?:unit|topic|route|consumergroup|datname)\b[^)]*)\)", expr):
            assert expr.startswith("topk($topn,"), f"{title}: every {expr} series on one chart"
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            if "caseflow_sla_" in target["expr"]:
                assert 'unit=~"$unit"' in target["expr"], panel["title"]


async def test_the_counters_the_alerts_watch_are_on_metrics_at_zero_from_the_start(scraped: Any) -> None:
    merged: dict[str, list[dict[str, str]]] = {}
    for found in scraped.values():
        for name, samples in found.items():
            merged.setdefault(name, []).extend(samples)
    for name in WATCHED_FROM_START:
        assert merged.get(name), f"{name} is not on /metrics before its first increment"
        # The registry is the test session's: another test may have counted one label set already (or the one series
        # of an unlabelled counter); a labelled counter's other label sets are still 0.
        labelled = [s for s in merged[name] if set(s) - {"__value__"}]
        assert not labelled or any(s["__value__"] == "0.0" for s in labelled), name
    units = {s["unit"] for s in merged["caseflow_sla_breaches_total"]}
    assert {"GZ-TH-CG", "none"} <= units  # every unit of the directory, and clocks without one


async def test_the_alert_tests_feed_the_label_sets_metrics_shows(scraped: Any) -> None:
    """alerts.test.yml's caseflow series carry exactly the labels the code gives them, plus the target's."""
    merged: dict[str, set[frozenset[str]]] = {}
    for found in scraped.values():
        for name, samples in found.items():
            merged.setdefault(name, set()).update(frozenset(k for k in s if k != "__value__") for s in samples)
    tests = load_yaml(DEPLOY / "prometheus" / "alerts.test.yml")["tests"]
    for case in tests:
        for series in case["input_series"]:
            name, _, body = series["series"].partition("{")
            if not name.startswith("caseflow_") or name not in merged:
                continue
            labels = frozenset(re.findall(r"(\w+)=", body)) - {"job", "instance"}
            # Shown at start: one of the label sets /metrics shows; not yet: the label names the code defines.
            shown = merged[name] or {frozenset(code_metrics()[name])}
            assert labels in shown, f"{case['name']}: {series['series']} is not a label set /metrics shows"
