"""Processes die: kill -9 of each service mid-stream, SIGTERM under load. No accepted case is lost, none doubled."""

from __future__ import annotations

import signal
import time

import pytest
from checks import settle
from load import LoadDriver

SERVICES = ("intake", "dispatch", "escalation", "audit")
GRACE_S = 10.0  # Docker's default stop grace period (the compose file sets none)


@pytest.mark.timeout(120)
async def test_without_faults_every_accepted_case_reaches_every_service_once(make_stack, fault_report):
    stack = await make_stack()
    driver = LoadDriver(lambda: stack.url("intake"), count=40, rate=20).start()
    figures = await settle(stack, driver, "no fault (control)")
    fault_report(figures)
    assert figures.clean and figures.accepted == figures.sent, figures.explain() + stack.logs()
    await stack.assert_no_false_alarms()


@pytest.mark.slow
@pytest.mark.timeout(150)
@pytest.mark.parametrize("victim", SERVICES)
async def test_a_service_killed_mid_stream_loses_and_doubles_no_case(make_stack, fault_report, victim):
    stack = await make_stack(backend="postgres")
    driver = LoadDriver(lambda: stack.url("intake"), count=60, rate=12).start()
    await driver.wait_accepted(20)
    code = await stack.kill(victim, signal.SIGKILL)
    assert code == -signal.SIGKILL
    await stack.start_service(victim)
    fault_ended = time.monotonic()
    figures = await settle(stack, driver, f"kill -9 {victim}", fault_ended=fault_ended)
    fault_report(figures)
    assert not driver.errors, driver.errors[:5]
    assert figures.clean and figures.accepted == figures.sent, figures.explain() + stack.logs()
    await stack.assert_no_false_alarms()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("victim", ["intake", "dispatch"])  # the HTTP front door, and a consumer + relay
async def test_a_service_stopped_with_sigterm_under_load_exits_0_within_its_grace_period_and_loses_nothing(
    make_stack, fault_report, victim
):
    stack = await make_stack()
    driver = LoadDriver(lambda: stack.url("intake"), count=60, rate=12).start()
    await driver.wait_accepted(20)
    started = time.monotonic()
    code = await stack.kill(victim, signal.SIGTERM, timeout=GRACE_S)
    took = time.monotonic() - started
    assert code == 0, f"{victim} exited {code} after {took:.1f}s: {stack.procs[victim].tail()}"
    await stack.start_service(victim)
    figures = await settle(stack, driver, f"SIGTERM {victim}", fault_ended=time.monotonic())
    fault_report(figures)
    assert figures.clean and figures.accepted == figures.sent, figures.explain() + stack.logs()
    await stack.assert_no_false_alarms()
