"""intake's relay dies between publish and mark-sent (the broker acknowledged, the rows still say unsent, the lease is
still held): the next intake process takes the lease over when it expires and publishes those rows again. Every case
still reaches every service exactly once. In-process services, the real broker, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import AsyncExitStack

import pytest
from checks import Checker, Figures
from load import hotline_report
from sqlalchemy import text

import audit.bootstrap
import dispatch.bootstrap
import escalation.bootstrap
import intake.bootstrap
from audit.settings import Settings as AuditSettings
from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.testing import ManualClock, auth_header, running, service_settings, topic_reader, wait_for
from dispatch.settings import Settings as DispatchSettings
from escalation.settings import Settings as EscalationSettings
from intake.settings import Settings as IntakeSettings

DOWNSTREAM = [
    ("dispatch", dispatch.bootstrap.build, DispatchSettings),
    ("escalation", escalation.bootstrap.build, EscalationSettings),
    ("audit", audit.bootstrap.build, AuditSettings),
]
CASES = 40
LEASE_S = 15  # the relay's lease (caseflow_common.messaging.outbox)


async def _unsent(runtime, ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(text("SELECT id FROM outbox WHERE sent_at IS NULL"))
        return len({r[0] for r in rows} & set(ids))


async def _on_topic(broker: str, topic: str, count: int) -> list[bytes]:
    reader = topic_reader(broker, topic)
    await reader.start()
    try:
        seen: list[bytes] = []
        deadline = time.monotonic() + 15
        while len(seen) < count and time.monotonic() < deadline:
            for msgs in (await reader.getmany(timeout_ms=300)).values():
                seen += [m.value for m in msgs]
        return seen
    finally:
        await reader.stop()


@pytest.mark.timeout(120)
async def test_a_relay_that_dies_between_publish_and_mark_sent_is_taken_over_and_every_case_arrives_once(
    broker, topic_prefix, databases, fault_report
):
    clock = ManualClock()
    urls = {name: await databases.new_url(name) for name in ("intake", "dispatch", "escalation", "audit")}
    intake_settings = service_settings(IntakeSettings, broker=broker, prefix=topic_prefix, database_url=urls["intake"])
    figures = Figures(name=f"relay dies after publish ({databases.backend})", sent=CASES)
    async with AsyncExitStack() as stack:
        svcs = {}
        for name, build, settings_cls in DOWNSTREAM:
            settings = service_settings(settings_cls, broker=broker, prefix=topic_prefix, database_url=urls[name])
            svcs[name] = await stack.enter_async_context(running(build, settings, clock=clock))

        # The first intake process takes the reports; its relay publishes them all in one round, then dies.
        crashed: list[int] = []
        published = asyncio.Event()
        run_id = uuid.uuid4().hex[:8]
        case_ids: list[str] = []
        async with running(intake.bootstrap.build, intake_settings, clock=clock, workers=False) as first:
            for i in range(CASES):
                r = await first.client.post(
                    "/v1/hotline/reports",
                    json=hotline_report(f"R-{run_id}-{i}", i, received_at=clock()),
                    headers=auth_header(Role.HOTLINE),
                )
                assert r.status_code == 201, r.text
                case_ids.append(r.json()["case_id"])

            async def die_after_publish(ids: list[int]) -> None:
                crashed.extend(ids)
                published.set()
                await asyncio.Event().wait()  # never marks them sent; the process is gone

            first.runtime.relay.after_publish = die_after_publish
            await first.runtime.start_workers()
            await asyncio.wait_for(published.wait(), timeout=30)
            assert len(crashed) == CASES, "all the reports' events went out in the round that died"
            assert await _unsent(first.runtime, crashed) == CASES, "the broker acked them; the rows still say unsent"
            assert len(await _on_topic(broker, topic_prefix + topics.INTAKE, CASES)) >= CASES
        figures.accepted = len(case_ids)

        # The next intake process: the dead one's lease holds until it expires, then the rows go out again.
        async with running(intake.bootstrap.build, intake_settings, clock=clock) as second:
            svcs["intake"] = second
            clock.advance(seconds=LEASE_S + 1)
            taken_over = time.monotonic()

            async def all_sent() -> bool:
                return await _unsent(second.runtime, crashed) == 0

            await wait_for(all_sent, timeout=30)
            assert len(await _on_topic(broker, topic_prefix + topics.INTAKE, 2 * CASES)) >= 2 * CASES, (
                "every event of the round that died was published twice"
            )
            checker = Checker(urls, {n: s.client for n, s in svcs.items()}, auth_header)
            try:
                await checker.settle(figures, case_ids, fault_ended=taken_over, deadline_s=45)
            finally:
                await checker.close()
    fault_report(figures)
    assert figures.clean, figures.explain()
