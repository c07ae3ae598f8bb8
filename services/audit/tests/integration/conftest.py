"""audit under test on the real broker and both databases: a running service, signed events published on their
producers' topics, and the supervisor's view of the record, the loops and the figures."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from audit.bootstrap import build
from audit.settings import Settings
from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.contracts import PRODUCER_TOPICS
from caseflow_common.contracts.dispatch import CaseAccepted, CaseClosed, CaseDispatched, CaseReplied
from caseflow_common.contracts.intake import CaseReceived, MaskedRequester, VisitRecorded
from caseflow_common.events import Actor, Envelope, Payload, known_events, new_event
from caseflow_common.messaging.kafka import ensure_topics
from caseflow_common.testing import ManualClock, RunningService, auth_header, running, service_settings, signed
from caseflow_common.testing import wait_for as _wait_for

SUPERVISOR = auth_header(Role.SUPERVISOR)
UNIT = "GZ-TH-CG"
DEPT = Actor(role="department", id="u-1", unit=UNIT)
HOTLINE = Actor(role="hotline", id="op-1")
# Each event type's producer, by the contracts module that defines it; a producer publishes on its own topic.
PRODUCER = {m.event_type: m.__module__.rsplit(".", 1)[-1] for m in known_events().values()}
TOPIC_OF = {module.rsplit(".", 1)[-1]: topic for module, topic in PRODUCER_TOPICS.items()}


def new_case() -> str:
    return f"C-{uuid.uuid4().hex[:12]}"


def event(
    payload: Payload, case_id: str, at: datetime, cause: Envelope | None = None, actor: Actor | None = None
) -> Envelope:
    """The event as its producer would publish it (not yet signed)."""
    producer = PRODUCER[payload.event_type]
    who = actor or (DEPT if producer == "dispatch" else Actor(role="system", id="caseflow"))
    return new_event(payload, case_id=case_id, producer=producer, actor=who, occurred_at=at, causation=cause)


def received(at: datetime, case_id: str, **fields: Any) -> CaseReceived:
    return CaseReceived(
        **{
            "channel": "hotline",
            "external_id": f"X-{case_id}",
            "category": "env.noise",
            "urgency": "normal",
            "description": "夜间施工噪声",
            "region_code": "440106001",
            "received_at": at,
            "requester": MaskedRequester(name="张*", phone="138****5678"),
            **fields,
        }
    )


def whole_loop(case_id: str, at: datetime, visit: bool = True, unit: str = UNIT) -> list[Envelope]:
    """A case from 受理 to 评价 (or to 办结 only), each event caused by the one before."""
    chain = [event(received(at, case_id), case_id, at)]
    follow: list[Payload] = [
        CaseDispatched(
            unit=unit, at=at + timedelta(minutes=1), rule_id="r-17", routing_version=12, district_code="440106"
        ),
        CaseAccepted(unit=unit, at=at + timedelta(hours=1)),
        CaseReplied(unit=unit, at=at + timedelta(days=1), content="已整改", resolved=True),
        CaseClosed(unit=unit, at=at + timedelta(days=1, hours=1), resolved=True),
    ]
    if visit:
        follow.append(VisitRecorded(contacted=True, satisfaction="satisfied", visited_at=at + timedelta(days=2)))
    for i, payload in enumerate(follow, start=1):
        actor = HOTLINE if payload.event_type == "VisitRecorded" else None
        chain.append(event(payload, case_id, at + timedelta(hours=i), cause=chain[-1], actor=actor))
    return chain


def canonical_actor(actor: dict[str, Any]) -> str:
    return orjson.dumps(actor, option=orjson.OPT_SORT_KEYS).decode()


@dataclass
class Harness:
    svc: RunningService
    clock: ManualClock
    producer: AIOKafkaProducer
    prefix: str
    backend: str
    # The event builders, for the test modules (which cannot import this conftest).
    new_case = staticmethod(new_case)
    event = staticmethod(event)
    received = staticmethod(received)
    whole_loop = staticmethod(whole_loop)
    canonical_actor = staticmethod(canonical_actor)
    unit = UNIT
    dept = DEPT
    hotline = HOTLINE

    async def publish(self, *envs: Envelope) -> None:
        """Publish each event signed by its producer, on its producer's topic."""
        for env in envs:
            await self.send(signed(env), TOPIC_OF[env.producer])

    async def send(self, env: Envelope, topic: str) -> None:
        """Put the envelope on a topic exactly as given (signed or not)."""
        await self.producer.send_and_wait(self.prefix + topic, env.to_bytes(), key=env.case_id.encode())

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.svc.client.get(path, params=params, headers=SUPERVISOR)

    async def record(self, case_id: str) -> dict[str, Any]:
        r = await self.get(f"/v1/records/{case_id}")
        return r.json() if r.status_code == 200 else {}

    async def entries_of(self, case_id: str, n: int) -> list[dict[str, Any]]:
        """The case's entries once there are at least n."""

        async def probe() -> list[dict[str, Any]] | None:
            entries = (await self.record(case_id)).get("entries", [])
            return entries if len(entries) >= n else None

        return await _wait_for(probe, timeout=20)

    async def loop_when(self, case_id: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The case's loop once `done` holds for it."""

        async def probe() -> dict[str, Any] | None:
            loop = (await self.record(case_id)).get("loop")
            return loop if loop is not None and done(loop) else None

        return await _wait_for(probe, timeout=20)

    async def verify(self, case_id: str) -> dict[str, Any]:
        return (await self.get(f"/v1/records/{case_id}/verify")).json()

    async def sql(self, statement: str, **params: Any) -> None:
        """Change the database behind the service's back, as someone with the owner's rights could."""
        async with self.svc.runtime.engine.begin() as conn:
            if self.backend == "postgres":  # a tamperer with owner rights switches the trigger off first
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text(statement), params)


@pytest_asyncio.fixture(scope="module")
async def audit(request: pytest.FixtureRequest, broker: str, databases: Any) -> AsyncIterator[Harness]:
    """audit running on its own topics and database; a test module's `prepare_database(url)`, if it has one, fills
    the database before the service starts (and migrates it to head)."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await ensure_topics(broker, [prefix + t for t in topics.ALL], partitions=3)
    url = await databases.new_url("audit")
    prepare = getattr(request.module, "prepare_database", None)
    if prepare is not None:
        await prepare(url)
    settings = service_settings(
        Settings,
        broker=broker,
        prefix=prefix,
        database_url=url,
        causal_check_interval_s=0.1,
        anchor_interval_s=3600,
        gauge_interval_s=0.2,
    )
    clock = ManualClock()
    async with running(build, settings, clock=clock) as svc:
        producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
        await producer.start()
        try:
            yield Harness(svc, clock, producer, prefix, databases.backend)
        finally:
            await producer.stop()
