"""A running dispatch service per test (real broker, SQLite and PostgreSQL) and a harness to drive it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from caseflow_common import contracts, topics
from caseflow_common.auth import Role
from caseflow_common.contracts.intake import CaseReceived, MaskedRequester
from caseflow_common.events import Actor, Envelope, Payload, new_event
from caseflow_common.testing import (
    ManualClock,
    RunningService,
    auth_header,
    running,
    service_settings,
    signed,
    topic_reader,
    wait_for,
)
from dispatch.bootstrap import build
from dispatch.settings import Settings

INTAKE = Actor(role="system", id="intake")


@dataclass
class Harness:
    """Feeds the service other services' events and calls its API as a given unit."""

    svc: RunningService
    clock: ManualClock
    broker: str
    prefix: str
    producer: AIOKafkaProducer
    seen: list[dict[str, Any]] = field(default_factory=list)
    _reader: AIOKafkaConsumer | None = None

    async def send(self, payload: Payload, case_id: str, topic: str = topics.INTAKE) -> Envelope:
        owner = contracts.producer_of(topic) or "intake"
        env = new_event(payload, case_id=case_id, producer=owner, actor=INTAKE, occurred_at=self.clock())
        await self.send_envelope(env, topic)
        return env

    async def send_envelope(self, env: Envelope, topic: str = topics.INTAKE) -> None:
        env = env if env.signature else signed(env)  # as its producer's relay publishes it
        await self.producer.send_and_wait(self.prefix + topic, env.to_bytes(), key=env.case_id.encode())

    def received(
        self, case_id: str, category: str = "env.noise.construction", region: str = "440106001001", **fields: Any
    ) -> CaseReceived:
        """A CaseReceived as intake publishes it (a noise complaint in 天河 unless told otherwise)."""
        values: dict[str, Any] = dict(
            channel="hotline",
            external_id=f"X-{case_id}",
            category=category,
            urgency="normal",
            description="工地夜间施工噪音",
            region_code=region,
            address="天河路1号",
            received_at=self.clock() - timedelta(minutes=5),
            requester=MaskedRequester(name="张*", phone="138****5678"),
        )
        values.update(fields)
        return CaseReceived(**values)

    async def receive(
        self,
        category: str = "env.noise.construction",
        region: str = "440106001001",
        case_id: str | None = None,
        **fields: Any,
    ) -> str:
        """Publish a CaseReceived and wait until dispatch has routed it; returns the case id."""
        case_id = case_id or f"C-{uuid.uuid4().hex[:12]}"
        await self.send(self.received(case_id, category, region, **fields), case_id)
        await wait_for(lambda: self.routed(case_id), timeout=20)
        return case_id

    async def routed(self, case_id: str) -> bool:
        async with self.svc.runtime.uow() as uow:
            return await uow.cases.exists(case_id)

    async def case(self, case_id: str, unit: str, role: Role = Role.DEPARTMENT) -> dict[str, Any]:
        """The case as the unit sees it (asserts 200)."""
        response = await self.get(f"/v1/work/cases/{case_id}", unit, role)
        assert response.status_code == 200, response.text
        return response.json()

    async def get(self, path: str, unit: str | None, role: Role = Role.DEPARTMENT, **params: Any) -> Any:
        return await self.svc.client.get(path, headers=auth_header(role, unit), params=params)

    async def act(
        self, case_id: str, action: str, unit: str, body: dict | None = None, role: Role = Role.DEPARTMENT
    ) -> Any:
        return await self.svc.client.post(
            f"/v1/work/cases/{case_id}/{action}", json=body, headers=auth_header(role, unit)
        )

    async def published(self, case_id: str, count: int) -> list[dict[str, Any]]:
        """The first `count` events dispatch published for the case (read from its topic)."""
        if self._reader is None:
            self._reader = topic_reader(self.broker, self.prefix + topics.DISPATCH)
            await self._reader.start()
        reader = self._reader

        async def enough() -> bool:
            batch = await reader.getmany(timeout_ms=200)
            self.seen.extend(orjson.loads(m.value) for msgs in batch.values() for m in msgs)
            return len([e for e in self.seen if e["case_id"] == case_id]) >= count

        await wait_for(enough, timeout=20)
        return [e for e in self.seen if e["case_id"] == case_id][:count]

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.stop()


@pytest.fixture
def dispatch_overrides() -> dict[str, Any]:
    """Settings a test module changes for its dispatch (override this fixture there)."""
    return {}


@pytest_asyncio.fixture
async def dispatch(
    broker: str, topic_prefix: str, databases: Any, dispatch_overrides: dict[str, Any]
) -> AsyncIterator[Harness]:
    """dispatch running on a fresh database of each backend, with a producer for other services' events."""
    settings = service_settings(
        Settings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("dispatch"),
        **dispatch_overrides,
    )
    clock = ManualClock(datetime.fromisoformat("2026-11-20T01:30:00+00:00"))
    producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
    await producer.start()
    try:
        async with running(build, settings, clock=clock) as svc:
            harness = Harness(svc, clock, broker, topic_prefix, producer)
            try:
                yield harness
            finally:
                await harness.close()
    finally:
        await producer.stop()
