"""Consumer churn: a second dispatch replica (same PostgreSQL database, same consumer group) joins and leaves every
few seconds under load, leaving gracefully or killed in turn. Partitions move back and forth; every case is still
routed exactly once."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from checks import settle
from load import LoadDriver


@pytest.mark.slow
@pytest.mark.timeout(200)
async def test_a_dispatch_replica_joining_and_leaving_every_few_seconds_routes_every_case_exactly_once(
    make_stack, fault_report
):
    stack = await make_stack(backend="postgres")
    # Reports arrive all through the churn: the stream stops after the fourth cycle (at most 240 reports, 60 s),
    # however long a loaded machine takes to start a replica.
    driver = LoadDriver(lambda: stack.url("intake"), count=240, rate=4).start()
    await driver.wait_accepted(10)
    cycles = []
    churn_ends = time.monotonic() + 50
    while len(cycles) < 4 and time.monotonic() < churn_ends:
        replica = stack.replica("dispatch")
        replica.spawn()
        await replica.wait_ready()
        await asyncio.sleep(2)  # it takes partitions over, applies, commits
        how = signal.SIGTERM if len(cycles) % 2 == 0 else signal.SIGKILL
        code = await replica.kill(how)
        cycles.append((how.name, code))
        await asyncio.sleep(1.0)  # the group settles on the one replica left
    await asyncio.sleep(2.0)  # a few reports more for the replica left alone, then the stream ends
    driver.finish()
    fault_ended = time.monotonic()
    figures = await settle(
        stack, driver, f"dispatch replica churn x{len(cycles)}", fault_ended=fault_ended, deadline_s=90
    )
    fault_report(figures)
    assert len(cycles) >= 2, f"the replica came and went {len(cycles)} times while reports were arriving"
    assert all(code == (0 if how == "SIGTERM" else -signal.SIGKILL) for how, code in cycles), cycles
    assert figures.clean and figures.accepted == figures.sent, figures.explain() + stack.logs()
    await stack.assert_no_false_alarms()
