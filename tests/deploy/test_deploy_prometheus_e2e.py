"""Debian's real Prometheus scrapes the real embedded stack (broker + four services) and loads the real alert rules.

The stack runs on free ports (never the shared 8001-8004 / 9092) under a temporary directory; everything started
here is stopped by process id at the end.
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from deploy_support import DEPLOY, ROOT, SERVICES, tool_or_skip

from caseflow_common import topics
from caseflow_common.auth import Role, TokenCodec
from caseflow_common.devstack import (
    Stack,
    dev_keys,
    free_port,
    service_env,
    start_broker,
    stop_all,
    wait_port,
    wait_ready,
)
from caseflow_common.messaging.kafka import ensure_topics

HOST = "127.0.0.1"
READY_S = 60  # per service; a cold start on a busy 2-core machine takes ~10 s
SCRAPED_S = 40


def wait_until(probe: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.5)
    pytest.fail(f"{what} not seen within {timeout} s (last: {last!r})")


def prometheus_config(ports: dict[str, int]) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(DEPLOY / "prometheus" / "alerts.yml")],
        "scrape_configs": [
            {"job_name": svc, "static_configs": [{"targets": [f"{HOST}:{port}"]}]} for svc, port in ports.items()
        ],
    }


def report(n: int) -> dict[str, Any]:
    return {
        "external_id": f"PROM-E2E-{secrets.token_hex(4)}-{n}",
        "received_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": "complaint",
        "category": "env.noise.construction",
        "description": "工地夜间施工噪声扰民",
        "location": {"region_code": "440106001", "address": "天河路1号"},
        "requester": {"name": "张三", "phone": "13800138000"},
    }


@pytest.mark.slow
def test_prometheus_scrapes_all_four_services_and_sees_cases_flow(tmp_path: Path) -> None:
    prometheus_bin = tool_or_skip("prometheus")
    stack = Stack(root=ROOT, var=tmp_path, broker_port=free_port(), ports={svc: free_port() for svc in SERVICES})
    secret = "dev-only-" + secrets.token_urlsafe(32)
    procs: list[subprocess.Popen] = []
    try:
        procs.append(start_broker(HOST, stack.broker_port, tmp_path / "broker.log"))
        with ThreadPoolExecutor(1) as pool:  # its own event loop, away from the test session's
            pool.submit(asyncio.run, ensure_topics(stack.bootstrap, list(topics.ALL), partitions=3)).result(60)
        dev_keys(stack.var, tuple(stack.ports))
        for svc, port in stack.ports.items():
            env = service_env(stack, svc, port, secret, ROOT / "data" / "demo")
            with (tmp_path / f"{svc}.log").open("ab") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", svc],
                        env=env,
                        cwd=tmp_path,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        for port, proc in zip(stack.ports.values(), procs[1:], strict=True):
            wait_ready(HOST, port, proc, READY_S)

        prom_port = free_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(yaml.safe_dump(prometheus_config(stack.ports)))
        with (tmp_path / "prometheus.log").open("ab") as log:
            procs.append(
                subprocess.Popen(
                    [
                        prometheus_bin,
                        f"--config.file={config}",
                        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                        f"--web.listen-address={HOST}:{prom_port}",
                        "--log.level=warn",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        wait_port(HOST, prom_port, 20)
        prom = httpx.Client(base_url=f"http://{HOST}:{prom_port}", timeout=5)
        wait_until(lambda: prom.get("/-/ready").status_code == 200, 20, "Prometheus ready")

        token = TokenCodec(secret).issue("prom-e2e-hotline", Role.HOTLINE)
        for n in range(3):
            r = httpx.post(
                f"http://{HOST}:{stack.ports['intake']}/v1/hotline/reports",
                json=report(n),
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert r.status_code == 201, r.text

        def query(expr: str) -> dict[str, float]:
            body = prom.get("/api/v1/query", params={"query": expr}).json()
            assert body["status"] == "success", body
            return {
                r["metric"].get("job") or r["metric"].get("service", ""): float(r["value"][1])
                for r in body["data"]["result"]
            }

        up = wait_until(
            lambda: (v := query("up")) and len(v) == 4 and all(x == 1 for x in v.values()) and v,
            SCRAPED_S,
            "all four targets up",
        )
        assert set(up) == set(SERVICES)
        requests = wait_until(
            lambda: (v := query("sum by (service) (caseflow_http_requests_total)")) and set(v) == set(SERVICES) and v,
            SCRAPED_S,
            "caseflow_http_requests_total of all four",
        )
        assert all(count >= 1 for count in requests.values())
        produced = wait_until(
            lambda: (
                (v := query("sum by (service) (caseflow_events_produced_total)"))
                and v.get("intake", 0) >= 3
                and v.get("dispatch", 0) >= 3
                and v
            ),
            SCRAPED_S,
            "events produced by intake and dispatch for the three cases",
        )
        assert produced["intake"] >= 3
        received = wait_until(lambda: query("sum(caseflow_cases_received_total)"), SCRAPED_S, "cases received")
        assert sum(received.values()) >= 3

        def rules_evaluated() -> list[dict[str, Any]] | None:
            groups = prom.get("/api/v1/rules").json()["data"]["groups"]
            rules = [rule for group in groups for rule in group["rules"]]
            return rules if rules and all(rule["health"] == "ok" for rule in rules) else None

        rules = wait_until(rules_evaluated, SCRAPED_S, "every alert rule evaluated without error")
        firing = [r["name"] for r in rules if r["state"] == "firing"]
        assert not firing, f"alerts firing on a healthy stack: {firing}"
    finally:
        stop_all(procs)
