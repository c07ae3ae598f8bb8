"""A rung dispatch does not know (a newer escalation during a rolling deploy) is applied as other, never dead-lettered."""

from __future__ import annotations

from datetime import timedelta

import orjson

from caseflow_common import topics
from caseflow_common.contracts.escalation import SupervisionActionIssued
from caseflow_common.events import Actor, Envelope, new_event
from caseflow_common.testing import signed, topic_reader, wait_for

TH_ECOLOGY = "GZ-TH-HJ"
NEWER_RUNG = "public_criticism"
CONTROL = b"not an envelope"  # dead-lettered after the event under test: the DLQ has been written up to here


async def test_a_supervision_action_with_an_unknown_rung_shows_on_the_case_as_other_without_a_dead_letter(dispatch):
    case_id = await dispatch.receive()
    issued = new_event(
        SupervisionActionIssued(
            action_id="A-newer",
            rung="supervise",
            unit=TH_ECOLOGY,
            case_ids=[case_id],
            rectification_deadline=dispatch.clock() + timedelta(days=3),
        ),
        case_id=case_id,
        producer="escalation",
        actor=Actor(role="system", id="escalation"),
        occurred_at=dispatch.clock(),
    )
    wire = orjson.loads(issued.to_bytes())
    wire["payload"]["rung"] = NEWER_RUNG  # as a newer escalation writes (and signs) it
    topic, key = dispatch.prefix + topics.ESCALATION, case_id.encode()
    await dispatch.producer.send_and_wait(topic, signed(Envelope.model_validate(wire)).to_bytes(), key=key)
    await dispatch.producer.send_and_wait(topic, CONTROL, key=key)  # same key: same partition, read after it

    async def supervised() -> list[dict]:
        return (await dispatch.case(case_id, TH_ECOLOGY))["supervision"]

    supervision = await wait_for(supervised, timeout=20)
    assert [(s["action_id"], s["rung"], s["status"]) for s in supervision] == [("A-newer", "other", "open")]

    dlq = topic_reader(dispatch.broker, dispatch.prefix + topics.DLQ)
    await dlq.start()
    records: list[dict] = []
    try:

        async def control_dead_lettered() -> bool:
            batch = await dlq.getmany(timeout_ms=200)
            records.extend(orjson.loads(m.value) for msgs in batch.values() for m in msgs)
            return any(r["event_id"] is None for r in records)

        await wait_for(control_dead_lettered, timeout=20)
    finally:
        await dlq.stop()
    assert [r["event_id"] for r in records] == [None]
    assert not any(r["event_id"] == str(issued.event_id) for r in records)
