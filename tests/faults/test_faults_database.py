"""PostgreSQL unreachable for 10 s under load (every service's connection goes through a proxy that is cut): intake
answers 503 with Retry-After, never 500; /readyz answers, says what is wrong; every accepted case arrives."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from checks import settle
from load import LoadDriver

OUTAGE_S = 10.0


@pytest.mark.slow
@pytest.mark.timeout(150)
async def test_postgres_gone_for_10s_under_load_gets_503_with_retry_after_and_every_accepted_case_arrives(
    make_stack, fault_report
):
    stack = await make_stack(backend="postgres", proxied=True)
    driver = LoadDriver(lambda: stack.url("intake"), count=90, rate=10, give_up_s=90).start()
    await driver.wait_accepted(30)
    accepted_before = len(driver.accepted)
    await stack.cut_database()
    cut_at = time.monotonic()
    readiness: dict[str, tuple[int, float, dict]] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.sleep(2)
        for name, proc in stack.procs.items():
            started = time.monotonic()
            r = await client.get(f"{proc.url}/readyz")
            readiness[name] = (r.status_code, time.monotonic() - started, r.json())
    await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - cut_at)))
    accepted_during = len(driver.accepted) - accepted_before
    await stack.restore_database()
    fault_ended = time.monotonic()
    figures = await settle(stack, driver, "PostgreSQL gone 10 s", fault_ended=fault_ended, deadline_s=90)
    fault_report(figures)

    assert not driver.errors, f"answers a client must never get: {driver.errors[:5]}"
    assert driver.statuses[503] > 0 and driver.retry_after_seen, (
        "intake said 503 + Retry-After while it had no database"
    )
    assert accepted_during <= 3, "nothing is accepted without a database (a request or two may straddle the cut)"
    for name, (status, took, body) in readiness.items():
        assert status == 503 and took < 5, (name, status, took, body)
        assert body["checks"]["database"].startswith("unreachable"), (name, body)
    assert figures.clean and figures.accepted == figures.sent, figures.explain() + stack.logs()
    await stack.assert_no_false_alarms()
    intake = stack.procs["intake"]
    assert await intake.metric("caseflow_http_requests_total", route="/v1/hotline/reports", status="503") > 0
    assert await stack.metric("caseflow_http_requests_total", status="500") == 0, "the 503s were counted as 500s"
