"""Poison on every topic: garbage bytes, an invalid payload, version 99, an event type that does not belong on the
topic, an unknown event type (each signed by the topic's owner, so only what is wrong with it is wrong). Each lands on the DLQ with its reason code from every consumer it reached,
nothing changes in any service, good cases keep flowing around it, and ``python -m <svc> dlq-replay --dry-run``
counts each service's dead letters."""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from checks import settle, snapshot
from load import LoadDriver
from sqlalchemy import text
from stack import FaultStack

import dispatch.handlers
import escalation.handlers
import intake.handlers
from caseflow_common import topics
from caseflow_common.events import Actor, Envelope
from caseflow_common.operations import read_dead_letters
from caseflow_common.signing import Signer
from caseflow_common.testing import running, service_settings, wait_for
from dispatch.settings import Settings as DispatchSettings

# Who writes each topic, who reads it, and an event of it every reader of the topic or some of them handle.
OWNER = {topics.INTAKE: "intake", topics.DISPATCH: "dispatch", topics.ESCALATION: "escalation"}
READERS = {
    topics.INTAKE: ("dispatch", "escalation", "audit"),
    topics.DISPATCH: ("intake", "escalation", "audit"),
    topics.ESCALATION: ("intake", "dispatch", "audit"),
}
NATIVE = {topics.INTAKE: "CaseReceived", topics.DISPATCH: "CaseDispatched", topics.ESCALATION: "ClocksUpdated"}
FOREIGN = {topics.INTAKE: "CaseDispatched", topics.DISPATCH: "ClocksUpdated", topics.ESCALATION: "CaseReceived"}
HANDLED = {
    "intake": {m.event_type for m in intake.handlers.HANDLERS},
    "dispatch": {m.event_type for m in dispatch.handlers.HANDLERS},
    "escalation": {m.event_type for m in escalation.handlers.HANDLERS},
    "audit": None,  # audit records every event type
}
# Messages that a consumer refuses before any handler looks at them: every reader of the topic parks them.
REFUSED_BY_ALL = ("unparseable", "wrong_topic", "unknown_version", "unknown_event_type")


def _envelope(event_type: str, version: int, producer: str, case_id: str) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        version=version,
        occurred_at=datetime.now(UTC),
        case_id=case_id,
        producer=producer,
        correlation_id=case_id,
        actor=Actor(role="system", id=producer),
        payload={"unexpected": True},
    )


def poison(stack: FaultStack, topic: str, case_id: str) -> dict[str, bytes]:
    """One message of each kind for ``topic``, keyed by the reason a consumer must give; signed by the topic's owner
    and about a real case."""
    owner = OWNER[topic]
    signer = Signer.from_secret(f"{owner}-dev", (stack.workdir / "keys" / f"{owner}.key").read_text())
    return {
        "unparseable": b"\x00\xff this is not an envelope {",
        "invalid_payload": signer.sign(_envelope(NATIVE[topic], 1, owner, case_id)).to_bytes(),
        "unknown_version": signer.sign(_envelope(NATIVE[topic], 99, owner, case_id)).to_bytes(),
        "wrong_topic": signer.sign(_envelope(FOREIGN[topic], 1, owner, case_id)).to_bytes(),
        "unknown_event_type": signer.sign(_envelope("CaseTeleported", 1, owner, case_id)).to_bytes(),
    }


async def produce_poison(stack: FaultStack, case_ids: list[str]) -> dict[tuple[str, int, int], tuple[str, set[str]]]:
    """Produce the poison onto every topic; returns, per (topic, partition, offset), the reason and the services
    whose consumer must park it."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.broker.bootstrap, enable_idempotence=False)
    await producer.start()
    sent: dict[tuple[str, int, int], tuple[str, set[str]]] = {}
    try:
        for i, topic in enumerate(OWNER):
            case_id = case_ids[i % len(case_ids)]
            for reason, value in poison(stack, topic, case_id).items():
                md = await producer.send_and_wait(topic, value, key=case_id.encode())
                parkers = {
                    s
                    for s in READERS[topic]
                    if reason in REFUSED_BY_ALL or HANDLED[s] is None or NATIVE[topic] in HANDLED[s]
                }
                sent[(topic, md.partition, md.offset)] = (reason, parkers)
    finally:
        await producer.stop()
    return sent


async def dead_letters_for(stack: FaultStack, sent: dict, timeout: float = 30.0) -> dict:  # type: ignore[type-arg]
    """Wait until every poison message was parked by every consumer that must park it; returns what the DLQ holds
    about them: {(topic, partition, offset): {service: reason}}."""
    want = sum(len(parkers) for _, parkers in sent.values())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    found: dict[tuple[str, int, int], dict[str, str]] = {}
    while loop.time() < deadline:
        found = {}
        for letter in await read_dead_letters(stack.broker.bootstrap, topics.DLQ, timeout_s=5):
            source = (letter.source_topic, letter.partition, letter.offset)
            if source in sent:
                found.setdefault(source, {})[letter.consumer.split(":", 1)[0]] = letter.reason
        if sum(len(v) for v in found.values()) >= want:
            break
        await asyncio.sleep(0.5)
    return found


async def dlq_replay_dry_run(stack: FaultStack, name: str) -> tuple[int, str]:
    """``python -m <name> dlq-replay --dry-run`` with the service's own environment: (letters it counts, output)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        name,
        "dlq-replay",
        "--dry-run",
        env=stack.procs[name].env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text
    match = re.search(r"(\d+) are this service's; would replay", text)
    assert match, text
    return int(match.group(1)), text


@pytest.mark.slow
@pytest.mark.timeout(170)
async def test_poison_on_every_topic_is_dead_lettered_with_its_reason_changes_nothing_and_good_cases_flow(
    make_stack, fault_report
):
    stack = await make_stack()
    first = LoadDriver(lambda: stack.url("intake"), count=30, rate=20)
    figures = await settle(stack, first.start(), "poison (first 30 cases)")
    assert figures.clean, figures.explain()
    before = {name: await snapshot(url) for name, url in stack.database_urls.items()}

    sent = await produce_poison(stack, first.case_ids)
    parked = await dead_letters_for(stack, sent)
    for source, (reason, parkers) in sent.items():
        assert {s: parked.get(source, {}).get(s) for s in parkers} == dict.fromkeys(parkers, reason), source
    after = {name: await snapshot(url) for name, url in stack.database_urls.items()}
    for name in before:
        changed = sorted(t for t in before[name] if before[name][t] != after[name].get(t))
        assert not changed, f"{name}: poison changed {changed}"

    # Good cases keep flowing while a second round of poison goes through the same partitions.
    second = LoadDriver(lambda: stack.url("intake"), count=40, rate=15).start()
    await second.wait_accepted(10)
    more = await produce_poison(stack, first.case_ids)
    await second.wait()
    both = LoadDriver(lambda: stack.url("intake"), count=0)
    both.sent, both.accepted = first.sent + second.sent, {**first.accepted, **second.accepted}
    figures = await settle(stack, both, "poison on every topic")
    fault_report(figures)
    assert figures.clean and figures.accepted == figures.sent, figures.explain() + stack.logs()
    parked = await dead_letters_for(stack, {**sent, **more})
    assert sum(len(v) for v in parked.values()) == sum(len(p) for _, p in {**sent, **more}.values())
    assert await stack.metric("caseflow_broker_resets_total") == 0

    for name in stack.procs:
        counted, output = await dlq_replay_dry_run(stack, name)
        expected = sum(1 for v in parked.values() if name in v)
        assert counted == expected, output


async def _routed_or_parked(runtime, broker: str, dlq: str, case_id: str) -> tuple[bool, list[str]]:  # type: ignore[no-untyped-def]
    async with runtime.engine.connect() as conn:
        routed = (
            await conn.execute(text("SELECT 1 FROM work_cases WHERE case_id = :c"), {"c": case_id})
        ).first() is not None
    reasons = [d.reason for d in await read_dead_letters(broker, dlq, timeout_s=2) if d.key == case_id.encode()]
    return routed, reasons


@pytest.mark.timeout(60)
async def test_a_forged_unsigned_case_is_dead_lettered_as_bad_signature_and_routed_nowhere(
    broker, topic_prefix, sqlite_only
):
    settings = service_settings(
        DispatchSettings, broker=broker, prefix=topic_prefix, database_url=await sqlite_only.new_url("dispatch")
    )
    case_id = f"GZ-FORGED-{uuid.uuid4().hex[:6]}"
    forged = _envelope("CaseReceived", 1, "intake", case_id)  # says it is intake's; nobody signed it
    forged.payload = {
        "channel": "hotline",
        "external_id": case_id,
        "kind": "complaint",
        "category": "env.noise.construction",
        "urgency": "normal",
        "description": "伪造的诉求",
        "region_code": "440106001",
        "region_path": ["440100", "440106", "440106001"],
        "address": "天河路1号",
        "received_at": datetime.now(UTC).isoformat(),
    }
    async with running(dispatch.bootstrap.build, settings) as svc:
        producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
        await producer.start()
        try:
            await producer.send_and_wait(topic_prefix + topics.INTAKE, forged.to_bytes(), key=case_id.encode())
        finally:
            await producer.stop()
        dlq = topic_prefix + topics.DLQ

        async def handled() -> tuple[bool, list[str]] | None:
            routed, reasons = await _routed_or_parked(svc.runtime, broker, dlq, case_id)
            return (routed, reasons) if routed or reasons else None

        routed, reasons = await wait_for(handled, timeout=20, interval=0.3)
    assert not routed and reasons == ["bad_signature"], (routed, reasons)
