"""Shared helpers of escalation's integration tests: feed events straight into the handlers, read the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from caseflow_common import contracts, topics
from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts import intake as i
from caseflow_common.events import Actor, Envelope, Payload, new_event
from caseflow_common.testing import ManualClock, running, service_settings, signed, topic_reader
from escalation.bootstrap import build
from escalation.orm import outbox, supervision_actions
from escalation.settings import Settings

INTAKE_EVENTS = (i.CaseReceived, i.CaseMerged, i.VisitRecorded, i.CaseReopened)
UNIT = "GZ-TH-CG"
STREET = "440106001"
PATH = ["440106001001-01", "440106001001", STREET, "440106", "440100"]


def received(
    at: datetime,
    *,
    channel: str = "hotline",
    urgency: str = "normal",
    category: str = "noise",
    region_path: list[str] | None = None,
) -> i.CaseReceived:
    path = region_path or PATH
    return i.CaseReceived(
        channel=channel,
        external_id="X",
        category=category,
        urgency=urgency,
        description="d",
        region_code=path[0],
        region_path=path,
        received_at=at,
    )


def dispatched(at: datetime, unit: str = UNIT) -> d.CaseDispatched:
    return d.CaseDispatched(unit=unit, at=at)


async def feed(runtime: Any, case_id: str, payload: Payload, at: datetime) -> Envelope:
    """Apply one event through the same handler the consumer calls, in its own unit of work, when it happens (a
    manual clock behind `at` moves on to it)."""
    if isinstance(runtime.clock, ManualClock) and at > runtime.clock.now:
        runtime.clock.now = at
    env = new_event(payload, case_id=case_id, producer="test", actor=Actor(role="system", id="test"), occurred_at=at)
    handler = runtime.spec.handlers[type(payload)]
    async with runtime.uow() as uow:
        await handler(env, uow, runtime.context)
        await uow.commit()
    return env


async def publish(broker: str, prefix: str, case_id: str, *events: tuple[Payload, datetime]) -> list[Envelope]:
    """Put events on their topics as their producers would (signed, keyed by case), in order."""
    sent: list[Envelope] = []
    producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
    await producer.start()
    try:
        for payload, at in events:
            topic = topics.INTAKE if isinstance(payload, INTAKE_EVENTS) else topics.DISPATCH
            owner = contracts.producer_of(topic) or "intake"
            env = new_event(payload, case_id=case_id, producer=owner, actor=Actor(role="system"), occurred_at=at)
            await producer.send_and_wait(prefix + topic, signed(env).to_bytes(), key=case_id.encode())
            sent.append(env)
    finally:
        await producer.stop()
    return sent


async def dead_letters(broker: str, prefix: str, wait_s: float = 1.0) -> list[Any]:
    """Every message on the dead-letter topic so far (read from the start, without a group)."""
    reader = topic_reader(broker, prefix + topics.DLQ)
    await reader.start()
    try:
        found: list[Any] = []
        deadline = asyncio.get_running_loop().time() + wait_s
        while asyncio.get_running_loop().time() < deadline:
            batch = await reader.getmany(timeout_ms=200)
            found.extend(m for ms in batch.values() for m in ms)
        return found
    finally:
        await reader.stop()


async def outbox_events(runtime: Any, event_type: str | None = None) -> list[Envelope]:
    async with runtime.sessions() as s:
        rows = (await s.execute(select(outbox.c.payload, outbox.c.event_type).order_by(outbox.c.id))).all()
    return [Envelope.model_validate(orjson.loads(p)) for p, t in rows if event_type in (None, t)]


async def actions(runtime: Any) -> list[Any]:
    async with runtime.sessions() as s:
        return list((await s.execute(select(supervision_actions).order_by(supervision_actions.c.issued_at))).all())


@pytest.fixture
def escalation(broker: str, topic_prefix: str) -> Callable[..., Any]:
    """Start the escalation service (no scheduler loop: tests run passes themselves) on a given database."""

    @asynccontextmanager
    async def start(url: str, clock: ManualClock, *, workers: bool = False, **overrides: Any) -> AsyncIterator[Any]:
        settings = service_settings(
            Settings, broker=broker, prefix=topic_prefix, database_url=url, scheduler_enabled=False, **overrides
        )
        async with running(build, settings, clock=clock, workers=workers) as svc:
            yield svc

    return start


@pytest.fixture
def esc() -> SimpleNamespace:
    return SimpleNamespace(
        feed=feed,
        publish=publish,
        dead_letters=dead_letters,
        outbox_events=outbox_events,
        actions=actions,
        received=received,
        dispatched=dispatched,
        UNIT=UNIT,
        STREET=STREET,
        PATH=PATH,
    )
