"""A rung audit does not know (a newer escalation during a rolling deploy) is recorded and counted as other, never
dead-lettered: on the real broker and both databases."""

from __future__ import annotations

import base64
import csv
import io
import uuid
from datetime import timedelta

import orjson
from aiokafka import AIOKafkaProducer

from audit.bootstrap import build
from audit.settings import Settings
from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.contracts.dispatch import CaseDispatched
from caseflow_common.contracts.escalation import SupervisionActionIssued
from caseflow_common.contracts.intake import CaseReceived
from caseflow_common.events import Actor, Envelope, Payload, new_event
from caseflow_common.messaging.kafka import ensure_topics
from caseflow_common.testing import ManualClock, auth_header, running, service_settings, signed, topic_reader, wait_for

SUPERVISOR = auth_header(Role.SUPERVISOR)
NEWER_RUNG = "public_criticism"
CONTROL = b"not an envelope"  # dead-lettered after the event under test: the DLQ has been written up to here


async def test_an_unknown_rung_is_recorded_as_sent_and_counted_as_other_without_a_dead_letter(broker, databases):
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await ensure_topics(broker, [prefix + t for t in topics.ALL], partitions=3)
    settings = service_settings(
        Settings, broker=broker, prefix=prefix, database_url=await databases.new_url("audit"), anchor_interval_s=3600
    )
    clock = ManualClock()
    case_id, unit = f"C-{uuid.uuid4().hex[:12]}", f"U-{uuid.uuid4().hex[:6]}"
    at = clock() - timedelta(hours=1)

    def event(payload: Payload, producer: str, cause: Envelope | None = None) -> Envelope:
        return new_event(
            payload, case_id=case_id, producer=producer, actor=Actor(role="system"), occurred_at=at, causation=cause
        )

    received = event(
        CaseReceived(
            channel="hotline",
            external_id=f"X-{case_id}",
            category="env.noise",
            urgency="normal",
            description="x",
            region_code="440106001",
            received_at=at,
        ),
        "intake",
    )
    dispatched = event(
        CaseDispatched(unit=unit, at=at, district_code="440106", received_at=at), "dispatch", cause=received
    )
    issued = event(
        SupervisionActionIssued(action_id=f"act-{case_id}", rung="notify", unit=unit, case_ids=[case_id]),
        "escalation",
        cause=dispatched,
    )
    # As a newer escalation sends it: a rung this build's contract does not list.
    newer = issued.model_copy(update={"payload": {**issued.payload, "rung": NEWER_RUNG}})

    async with running(build, settings, clock=clock) as svc:
        producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
        await producer.start()
        dlq = topic_reader(broker, prefix + topics.DLQ)
        await dlq.start()
        try:
            for topic, env in ((topics.INTAKE, received), (topics.DISPATCH, dispatched), (topics.ESCALATION, newer)):
                await producer.send_and_wait(prefix + topic, signed(env).to_bytes(), key=case_id.encode())

            async def recorded() -> list[dict] | None:
                r = await svc.client.get(f"/v1/records/{case_id}", headers=SUPERVISOR)
                entries = r.json()["entries"] if r.status_code == 200 else []
                return entries if len(entries) == 3 else None

            entries = await wait_for(recorded, timeout=30)
            assert entries[2]["event_type"] == "SupervisionActionIssued"
            assert entries[2]["payload"]["rung"] == NEWER_RUNG  # the record keeps what was sent

            period = {"from": "2026-11-01", "to": "2026-12-01"}
            items = (await svc.client.get("/v1/assessment/units", params=period, headers=SUPERVISOR)).json()["items"]
            mine = next(i for i in items if i["unit"] == unit)
            assert mine["supervision_actions"] == {
                "reminder": 0,
                "supervise": 0,
                "notify": 0,
                "interview": 0,
                "listed": 0,
                "other": 1,
            }
            text = (
                await svc.client.get("/v1/assessment/units", params={**period, "format": "csv"}, headers=SUPERVISOR)
            ).text
            row = next(r for r in csv.DictReader(io.StringIO(text)) if r["unit"] == unit)
            assert (row["actions_notify"], row["actions_other"]) == ("0", "1")

            await producer.send_and_wait(prefix + topics.ESCALATION, CONTROL, key=case_id.encode())
            letters: list[dict] = []

            async def control_dead_lettered() -> bool:
                batch = await dlq.getmany(timeout_ms=200)
                letters.extend(orjson.loads(m.value) for ms in batch.values() for m in ms)
                return any(base64.b64decode(x["value_b64"]) == CONTROL for x in letters)

            await wait_for(control_dead_lettered, timeout=30)
            assert not [x for x in letters if x["event_id"] == str(newer.event_id)]
        finally:
            await dlq.stop()
            await producer.stop()
