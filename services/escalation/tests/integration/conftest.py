"""Shared helpers of escalation's integration tests: feed events straight into the handlers, read the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts import intake as i
from caseflow_common.events import Actor, Envelope, Payload, new_event
from caseflow_common.testing import ManualClock, running, service_settings
from escalation.bootstrap import build
from escalation.orm import outbox, supervision_actions
from escalation.settings import Settings

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
    """Apply one event through the same handler the consumer calls, in its own unit of work."""
    env = new_event(payload, case_id=case_id, producer="test", actor=Actor(role="system", id="test"), occurred_at=at)
    handler = runtime.spec.handlers[type(payload)]
    async with runtime.uow() as uow:
        await handler(env, uow, runtime.context)
        await uow.commit()
    return env


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
        outbox_events=outbox_events,
        actions=actions,
        received=received,
        dispatched=dispatched,
        UNIT=UNIT,
        STREET=STREET,
        PATH=PATH,
    )
