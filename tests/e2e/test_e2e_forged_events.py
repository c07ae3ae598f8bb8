"""Trust on the bus (ARCHITECTURE.md rule 6a), across all four services on the real broker: whoever can write to
Kafka cannot close a case no department touched, invent a case, or speak for another service.

A case is received and dispatched for real; then, on every topic, an attacker publishes: an event signed with a key
nobody trusts, an unsigned one, a real event replayed under a new event id (signature copied), and an event signed by
a real service's key on a topic that service does not own. Each lands on the DLQ with its reason, in every consumer
of that topic, and nothing changes anywhere: intake's status, dispatch's case, escalation's clocks, audit's record.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from e2e_support import UNIT, _start_all, _status, report

from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts import escalation as e
from caseflow_common.contracts import intake as i
from caseflow_common.events import Actor, Envelope, Payload, new_event
from caseflow_common.signing import Signer
from caseflow_common.testing import TEST_SIGNERS, ManualClock, auth_header, topic_reader, wait_for

ATTACKER = Signer.generate("intake-1")  # even a plausible key id: nobody trusts this key
CONSUMERS = {  # who reads each topic (their DLQ records name them)
    topics.INTAKE: ("dispatch", "escalation", "audit"),
    topics.DISPATCH: ("intake", "escalation", "audit"),
    topics.ESCALATION: ("intake", "dispatch", "audit"),
}


def forgeries(case_id: str, at: Any, genuine: Envelope) -> list[tuple[str, str, Envelope]]:
    """(topic, expected reason, envelope) for every topic."""
    actor = Actor(role="department", id="x", unit=UNIT)
    by_topic: dict[str, tuple[str, Payload]] = {
        topics.INTAKE: (
            "intake",
            i.CaseReceived(
                channel=i.Channel.HOTLINE,
                external_id="FORGED",
                category="env.noise.construction",
                urgency=i.Urgency.EMERGENCY,
                description="forged",
                region_code="440106001",
                received_at=at,
            ),
        ),
        topics.DISPATCH: ("dispatch", d.CaseClosed(unit=UNIT, at=at)),
        topics.ESCALATION: (
            "escalation",
            e.SupervisionActionIssued(
                action_id="forged",
                rung=e.Rung.LISTED,
                unit=UNIT,
                case_ids=[case_id],
            ),
        ),
    }
    out: list[tuple[str, str, Envelope]] = []
    for topic, (producer, payload) in by_topic.items():
        target = f"F-{uuid.uuid4().hex[:8]}" if topic == topics.INTAKE else case_id

        def event(p: str = producer, pl: Payload = payload, c: str = target) -> Envelope:
            return new_event(pl, case_id=c, producer=p, actor=actor, occurred_at=at)

        out.append((topic, "bad_signature", ATTACKER.sign(event())))
        out.append((topic, "bad_signature", event()))  # unsigned
        # A genuine, signed event of another service, re-published on this topic under a new id: the id is signed.
        replayed = genuine.model_copy(update={"event_id": uuid.uuid4()})
        out.append((topic, "bad_signature", replayed))
        # A real key, but its owner does not own this topic.
        other = next(p for p in ("intake", "dispatch", "escalation") if p != producer)
        out.append((topic, "producer_not_allowed", TEST_SIGNERS[other].sign(event(p=other))))
    return out


async def _snapshot(svcs: dict, case_id: str) -> dict[str, Any]:
    sup = auth_header(Role.SUPERVISOR)
    record = (await svcs["audit"].client.get(f"/v1/records/{case_id}", headers=sup)).json()
    clocks = (await svcs["escalation"].client.get(f"/v1/cases/{case_id}/clocks", headers=sup)).json()
    work = await svcs["dispatch"].client.get(f"/v1/work/cases/{case_id}", headers=auth_header(Role.DEPARTMENT, UNIT))
    return {
        "intake": await _status(svcs["intake"].client, case_id),
        "dispatch": work.json().get("status"),
        "escalation": sorted(orjson.dumps(c, option=orjson.OPT_SORT_KEYS) for c in clocks.get("clocks", [])),
        "audit": [(x["seq"], x["event_type"]) for x in record["entries"]],
    }


async def _settled(svcs: dict, case_id: str) -> dict[str, Any]:
    """The case's state in every service once it stops moving (two looks a second apart agree)."""
    last = await _snapshot(svcs, case_id)
    for _ in range(20):
        await asyncio.sleep(1)
        now = await _snapshot(svcs, case_id)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the case kept changing: {last}")


async def test_forged_replayed_and_wrong_producer_events_on_every_topic_are_dead_lettered_and_change_nothing(
    broker, topic_prefix, databases
):
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        svcs = await _start_all(stack, broker, topic_prefix, databases, clock)
        r = await svcs["intake"].client.post(
            "/v1/hotline/reports", json=report(f"TRUST-{uuid.uuid4().hex[:8]}"), headers=auth_header(Role.HOTLINE)
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        await wait_for(lambda: _dispatched_everywhere(svcs, case_id), timeout=30)
        before = await _settled(svcs, case_id)
        genuine = await _first_event(broker, topic_prefix + topics.DISPATCH, case_id)

        attacks = forgeries(case_id, clock() + timedelta(minutes=1), genuine)
        producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
        await producer.start()
        try:
            for topic, _, env in attacks:
                await producer.send_and_wait(topic_prefix + topic, env.to_bytes(), key=env.case_id.encode())
        finally:
            await producer.stop()

        expected = {
            (consumer, str(env.event_id), reason) for topic, reason, env in attacks for consumer in CONSUMERS[topic]
        }
        parked = await _dead_letters_until(broker, topic_prefix, {ev for _, ev, _ in expected}, len(expected))
        assert expected <= parked
        clock.advance(minutes=5)  # what a forged 挂牌督办 or 办结 would have moved, had anyone applied it
        assert await _settled(svcs, case_id) == before
        forged_case = next(env.case_id for topic, _, env in attacks if topic == topics.INTAKE)
        assert await _status(svcs["intake"].client, forged_case) is None


async def _dispatched_everywhere(svcs: dict, case_id: str) -> bool:
    if await _status(svcs["intake"].client, case_id) != "dispatched":
        return False
    rec = await svcs["audit"].client.get(f"/v1/records/{case_id}", headers=auth_header(Role.SUPERVISOR))
    clocks = await svcs["escalation"].client.get(f"/v1/cases/{case_id}/clocks", headers=auth_header(Role.SUPERVISOR))
    return rec.status_code == 200 and len(rec.json()["entries"]) >= 2 and clocks.status_code == 200


async def _first_event(broker: str, topic: str, case_id: str) -> Envelope:
    reader = topic_reader(broker, topic)
    await reader.start()
    try:
        for _ in range(50):
            for messages in (await reader.getmany(timeout_ms=200)).values():
                for m in messages:
                    env = Envelope.from_bytes(m.value)
                    if env.case_id == case_id:
                        return env
        raise AssertionError("no event of the case on the dispatch topic")
    finally:
        await reader.stop()


async def _dead_letters_until(broker: str, prefix: str, event_ids: set[str], n: int) -> set[tuple[str, str, str]]:
    """(consumer service, event id, reason) of the DLQ records of these events, once n of them arrived."""
    reader = topic_reader(broker, prefix + topics.DLQ)
    await reader.start()
    seen: set[tuple[str, str, str]] = set()
    try:

        async def enough() -> bool:
            for messages in (await reader.getmany(timeout_ms=200)).values():
                for m in messages:
                    rec = orjson.loads(m.value)
                    if rec.get("event_id") in event_ids:
                        seen.add((rec["consumer"].split(":", 1)[0], rec["event_id"], rec["reason"]))
            return len(seen) >= n

        await wait_for(enough, timeout=30)
    finally:
        await reader.stop()
    return seen
