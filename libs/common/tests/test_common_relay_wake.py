"""The relay is woken by commits (and, on PostgreSQL, by NOTIFY across replicas and from the republish command), however
seldom it polls when idle."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from ledger_service import build_ledger, count_is, emit, ledger_settings, touched
from sqlalchemy import func, select

from caseflow_common.operations import mark_unsent
from caseflow_common.runtime import ServiceRuntime
from caseflow_common.testing import ManualClock, running, wait_for


async def test_a_commit_wakes_the_relay_at_once_however_seldom_it_polls_when_idle(broker, topic_prefix, databases):
    settings = await ledger_settings(
        broker,
        topic_prefix,
        databases,
        relay_idle_poll_s=60,  # idle it would not look again for a minute
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as svc:
        await asyncio.sleep(1.0)  # the relay is asleep now
        started = time.monotonic()
        await emit(svc.runtime, [touched("C-wake", 1, clock())])
        await wait_for(lambda: count_is(svc.runtime, 1), timeout=10)
        assert time.monotonic() - started < 5


async def test_on_postgresql_a_commit_in_one_replica_wakes_the_relay_of_the_other(broker, topic_prefix, databases):
    if databases.backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite has one writer, so one replica")
    settings = await ledger_settings(
        broker,
        topic_prefix,
        databases,
        relay_idle_poll_s=60,  # idle, neither relay would look again for a minute
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as first:
        await wait_for(lambda: _holds_lease(first.runtime), timeout=10)
        async with running(build_ledger, settings, clock=clock) as second:
            await wait_for(lambda: _listening(first.runtime, second.runtime), timeout=10)
            await asyncio.sleep(1.0)  # both relays are asleep now; only the first holds the lease
            assert not await _holds_lease(second.runtime)
            started = time.monotonic()
            await emit(second.runtime, [touched("C-notify", 1, clock())])  # committed where no relay publishes
            await wait_for(lambda: count_is(first.runtime, 1), timeout=20)
            assert time.monotonic() - started < 20  # not the minute of the idle poll


async def test_on_postgresql_a_republish_wakes_the_running_relay_at_once(broker, topic_prefix, databases):
    if databases.backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the republish command runs beside no other writer")
    settings = await ledger_settings(broker, topic_prefix, databases, relay_idle_poll_s=60)
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as svc:
        rt = svc.runtime
        await emit(rt, [touched("C-republish", 1, clock())])
        await wait_for(lambda: _all_sent(rt), timeout=20)
        await wait_for(lambda: _listening(rt), timeout=10)
        await asyncio.sleep(1.0)  # the relay is asleep now, for a minute unless told
        started = time.monotonic()
        # What `python -m <service> republish --since ...` does, from another process's connection.
        assert await mark_unsent(rt.sessions, rt.outbox, since=datetime(2000, 1, 1, tzinfo=UTC)) == 1
        await wait_for(lambda: _all_sent(rt), timeout=20)
        assert time.monotonic() - started < 20  # not the minute of the idle poll


async def _all_sent(runtime: ServiceRuntime) -> bool:
    async with runtime.sessions() as s:
        unsent = (await s.execute(select(func.count()).where(runtime.outbox.c.sent_at.is_(None)))).scalar_one()
        total = (await s.execute(select(func.count()).select_from(runtime.outbox))).scalar_one()
    return total > 0 and unsent == 0


async def _holds_lease(runtime: ServiceRuntime) -> bool:
    assert runtime.relay is not None
    return runtime.relay.lease._held_until is not None


async def _listening(*runtimes: ServiceRuntime) -> bool:
    return all(rt.relay is not None and rt.relay.listening for rt in runtimes)
