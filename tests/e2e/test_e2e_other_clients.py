"""Events as a contract other teams consume: a non-Python Kafka client (librdkafka, through confluent-kafka) reads
intake's topic, routes on the record headers and validates the body against the published JSON Schema."""

from __future__ import annotations

import asyncio
import json
import uuid

import jsonschema
from confluent_kafka import Consumer
from e2e_support import report

import intake.bootstrap
from caseflow_common import topics
from caseflow_common.asyncapi import DOCS
from caseflow_common.auth import Role
from caseflow_common.testing import ManualClock, auth_header, running, service_settings, wait_for
from intake.settings import Settings as IntakeSettings


def _read_all(broker: str, topic: str, case_id: str) -> list[tuple[dict[str, str], dict]]:
    consumer = Consumer(
        {
            "bootstrap.servers": broker,
            "group.id": f"other-team-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    found: list[tuple[dict[str, str], dict]] = []
    try:
        for _ in range(60):
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                if found:
                    break
                continue
            if msg.key() == case_id.encode():
                headers = {k: v.decode() for k, v in (msg.headers() or [])}
                found.append((headers, json.loads(msg.value())))
    finally:
        consumer.close()
    return found


async def test_a_librdkafka_client_reads_the_events_by_their_headers_and_they_match_the_published_schema(
    broker, topic_prefix, databases
):
    settings = service_settings(
        IntakeSettings, broker=broker, prefix=topic_prefix, database_url=await databases.new_url("intake")
    )
    async with running(intake.bootstrap.build, settings, clock=ManualClock()) as svc:
        r = await svc.client.post(
            "/v1/hotline/reports", json=report(f"OTHER-{uuid.uuid4().hex[:8]}"), headers=auth_header(Role.HOTLINE)
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]

        async def read() -> list[tuple[dict[str, str], dict]]:
            return await asyncio.to_thread(_read_all, broker, topic_prefix + topics.INTAKE, case_id)

        records = await wait_for(read, timeout=30, interval=0.5)
    headers, body = records[0]
    assert headers == {
        "event_type": "CaseReceived",
        "version": "1",
        "producer": "intake",
        "content-type": "application/json",
    }
    schema = json.loads((DOCS / "schemas" / "CaseReceived.v1.json").read_text())
    jsonschema.validate(body, schema)
    assert body["signature"] and body["key_id"] == "intake-test"
