"""The broker comes back empty mid-stream (the embedded Tansu keeps nothing across a restart): the services notice,
recreate the topics, publish their outbox window again and read from the start, with no manual step."""

from __future__ import annotations

import time

import pytest
from checks import settle
from load import LoadDriver


@pytest.mark.slow
@pytest.mark.timeout(150)
async def test_a_broker_restarted_empty_mid_stream_is_repaired_by_the_services_and_no_case_is_lost(
    make_stack, fault_report
):
    stack = await make_stack()
    driver = LoadDriver(lambda: stack.url("intake"), count=90, rate=15).start()
    await driver.wait_accepted(30)
    await stack.restart_broker()
    fault_ended = time.monotonic()
    figures = await settle(stack, driver, "broker restarted empty", fault_ended=fault_ended, deadline_s=90)
    fault_report(figures)
    assert not driver.errors, driver.errors[:5]
    assert figures.clean and figures.accepted == figures.sent, figures.explain() + stack.logs()
    await stack.assert_no_false_alarms(broker_lost=True)
    assert await stack.metric("caseflow_broker_resets_total") >= 1, "the services repaired the broker themselves"
