"""Fixtures of intake's integration tests: a running intake on the real broker, report bodies, topic readers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from caseflow_common.events import Actor, Envelope, Payload, new_event
from caseflow_common.testing import (
    ManualClock,
    RunningService,
    running,
    service_settings,
    signed,
    topic_reader,
    wait_for,
)
from intake.bootstrap import build
from intake.settings import Settings

# A grid of the demo directory (data/demo/regions.json) and a point inside its box.
GRID = "440103001001-01"
GRID_POINT = (23.121, 113.238)
SYSTEM = Actor(role="system", id="test")


def hotline_body(**overrides: Any) -> dict[str, Any]:
    """A valid hotline report body; overrides replace top-level keys."""
    body: dict[str, Any] = {
        "external_id": f"HL-{uuid.uuid4().hex[:12]}",
        "received_at": "2026-11-20T09:30:00+08:00",
        "kind": "complaint",
        "category": "urban.garbage",
        "description": "小区门口垃圾堆放三天无人清运",
        "location": {"region_code": GRID, "address": "沙面北街 1 号"},
        "requester": {"name": "张三", "phone": "13812345678"},
    }
    body.update(overrides)
    return body


def grid_body(**overrides: Any) -> dict[str, Any]:
    """A valid grid report body."""
    body: dict[str, Any] = {
        "external_id": f"GR-{uuid.uuid4().hex[:12]}",
        "observed_at": "2026-11-20T09:00:00+08:00",
        "grid_code": GRID,
        "reporter_id": "GM-0042",
        "category": "safety.fire_hazard",
        "description": "出租屋楼道堆放杂物，堵塞消防通道",
    }
    body.update(overrides)
    return body


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest_asyncio.fixture
async def intake(broker: str, topic_prefix: str, databases, clock: ManualClock) -> AsyncIterator[RunningService]:
    """intake on SQLite and PostgreSQL, with its relay and consumer running."""
    settings = service_settings(
        Settings, broker=broker, prefix=topic_prefix, database_url=await databases.new_url("intake")
    )
    async with running(build, settings, clock=clock) as svc:
        yield svc


class TopicReader:
    """Reads every message of one topic from the start."""

    def __init__(self, broker: str, topic: str) -> None:
        self.consumer = topic_reader(broker, topic)
        self.raw: list[bytes] = []

    async def read_until(self, predicate: Callable[[list[Envelope]], bool], timeout: float = 20) -> list[Envelope]:
        """Keep reading until the envelopes seen so far satisfy the predicate."""

        async def probe() -> bool:
            batch = await self.consumer.getmany(timeout_ms=200)
            self.raw.extend(m.value for msgs in batch.values() for m in msgs)
            return predicate(self.envelopes)

        await wait_for(probe, timeout=timeout)
        return self.envelopes

    @property
    def envelopes(self) -> list[Envelope]:
        return [Envelope.from_bytes(r) for r in self.raw]


@pytest_asyncio.fixture
async def intake_topic(broker: str, topic_prefix: str) -> AsyncIterator[TopicReader]:
    """A reader of intake's own topic."""
    reader = TopicReader(broker, f"{topic_prefix}caseflow.intake.v1")
    await reader.consumer.start()
    try:
        yield reader
    finally:
        await reader.consumer.stop()


class Feeder:
    """Publishes other services' events to the topics intake consumes."""

    def __init__(self, broker: str, prefix: str, clock: ManualClock) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
        self.prefix, self.clock = prefix, clock

    async def send(self, topic: str, case_id: str, payload: Payload, producer: str = "dispatch") -> Envelope:
        env = new_event(payload, case_id=case_id, producer=producer, actor=SYSTEM, occurred_at=self.clock())
        await self.producer.send_and_wait(self.prefix + topic, signed(env).to_bytes(), key=case_id.encode())
        return env


@pytest_asyncio.fixture
async def feeder(broker: str, topic_prefix: str, clock: ManualClock) -> AsyncIterator[Feeder]:
    """A producer for dispatch / escalation events."""
    f = Feeder(broker, topic_prefix, clock)
    await f.producer.start()
    try:
        yield f
    finally:
        await f.producer.stop()


@pytest.fixture
def make_hotline() -> Callable[..., dict[str, Any]]:
    """Factory of valid hotline report bodies."""
    return hotline_body


@pytest.fixture
def make_grid() -> Callable[..., dict[str, Any]]:
    """Factory of valid grid report bodies."""
    return grid_body
