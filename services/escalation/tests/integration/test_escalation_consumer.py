"""Events from the broker reach the clocks, and escalation's own events leave through the outbox relay."""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from caseflow_common import contracts, topics
from caseflow_common.auth import Role
from caseflow_common.events import Actor, Envelope, new_event
from caseflow_common.testing import ManualClock, auth_header, signed, topic_reader, wait_for

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def test_a_received_and_dispatched_case_gets_clocks_and_announces_them(
    escalation, databases, broker, topic_prefix, esc
):
    async with escalation(await databases.new_url("consumer"), ManualClock(AT), workers=True) as svc:
        producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
        await producer.start()
        try:
            for topic, payload in ((topics.INTAKE, esc.received(AT)), (topics.DISPATCH, esc.dispatched(AT))):
                owner = contracts.producer_of(topic) or "intake"
                env = new_event(payload, case_id="C-K", producer=owner, actor=Actor(role="system"), occurred_at=AT)
                await producer.send_and_wait(topic_prefix + topic, signed(env).to_bytes(), key=b"C-K")
        finally:
            await producer.stop()

        async def clocks() -> list:  # type: ignore[type-arg]
            resp = await svc.client.get("/v1/cases/C-K/clocks", headers=auth_header(Role.DEPARTMENT, unit=esc.UNIT))
            return resp.json()["clocks"] if resp.status_code == 200 and len(resp.json()["clocks"]) == 4 else []

        assert {c["state"] for c in await wait_for(clocks, timeout=30)} == {"running"}
        consumer = topic_reader(broker, topic_prefix + topics.ESCALATION)
        await consumer.start()
        try:
            seen: list[Envelope] = []

            async def announced() -> bool:
                batch = await consumer.getmany(timeout_ms=200)
                seen.extend(Envelope.from_bytes(m.value) for ms in batch.values() for m in ms)
                return any(e.event_type == "ClocksUpdated" and len(e.payload["clocks"]) == 4 for e in seen)

            await wait_for(announced, timeout=30)
        finally:
            await consumer.stop()
