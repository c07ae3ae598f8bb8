"""The record against the real broker and both databases: causal order, exactly once, tamper evidence, loops."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from audit.bootstrap import build
from audit.settings import Settings
from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.contracts.dispatch import CaseAccepted, CaseClosed, CaseDispatched, CaseReplied
from caseflow_common.contracts.intake import CaseReceived, MaskedRequester, VisitRecorded
from caseflow_common.events import Actor, Envelope, Payload, new_event
from caseflow_common.messaging.kafka import ensure_topics
from caseflow_common.testing import ManualClock, auth_header, running, service_settings, signed, wait_for

SUPERVISOR = auth_header(Role.SUPERVISOR)
UNIT = "GZ-TH-CG"
PRODUCER_TOPIC = {"intake": topics.INTAKE, "dispatch": topics.DISPATCH}


@dataclass
class Harness:
    svc: Any
    clock: ManualClock
    producer: AIOKafkaProducer
    prefix: str
    backend: str

    async def publish(self, env: Envelope) -> None:
        await self.producer.send_and_wait(
            self.prefix + PRODUCER_TOPIC[env.producer], signed(env).to_bytes(), key=env.case_id.encode()
        )

    async def record(self, case_id: str) -> dict:
        r = await self.svc.client.get(f"/v1/records/{case_id}", headers=SUPERVISOR)
        return r.json() if r.status_code == 200 else {}

    async def entries_of(self, case_id: str, n: int) -> list[dict]:
        async def probe() -> list[dict] | None:
            entries = (await self.record(case_id)).get("entries", [])
            return entries if len(entries) >= n else None

        return await wait_for(probe, timeout=20)

    async def sql(self, statement: str, **params: Any) -> None:
        async with self.svc.runtime.engine.begin() as conn:
            if self.backend == "postgres":  # a tamperer with owner rights switches the trigger off first
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text(statement), params)


@pytest_asyncio.fixture(scope="module")
async def audit(broker, databases):
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await ensure_topics(broker, [prefix + t for t in topics.ALL], partitions=3)
    settings = service_settings(
        Settings,
        broker=broker,
        prefix=prefix,
        database_url=await databases.new_url("audit"),
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


def event(
    payload: Payload,
    case_id: str,
    at: datetime,
    cause: Envelope | None = None,
    actor: Actor = Actor(role="system", id="caseflow"),
) -> Envelope:
    producer = "intake" if payload.event_type in ("CaseReceived", "VisitRecorded") else "dispatch"
    return new_event(payload, case_id=case_id, producer=producer, actor=actor, occurred_at=at, causation=cause)


def whole_loop(case_id: str, at: datetime, visit: bool = True) -> list[Envelope]:
    """A case from 受理 to 评价 (or to 办结 only), each event caused by the one before."""
    dept = Actor(role="department", id="u-1", unit=UNIT)
    received = event(
        CaseReceived(
            channel="hotline",
            external_id=f"X-{case_id}",
            category="env.noise",
            urgency="normal",
            description="夜间施工噪声",
            region_code="440106001",
            received_at=at,
            requester=MaskedRequester(name="张*", phone="138****5678"),
        ),
        case_id,
        at,
    )
    chain = [received]
    follow: list[Payload] = [
        CaseDispatched(
            unit=UNIT,
            at=at + timedelta(minutes=1),
            rule_id="r-17",
            routing_version=12,
            district_code="440106",
            received_at=at,
        ),
        CaseAccepted(unit=UNIT, at=at + timedelta(hours=1)),
        CaseReplied(unit=UNIT, at=at + timedelta(days=1), content="已整改", resolved=True),
        CaseClosed(unit=UNIT, at=at + timedelta(days=1, hours=1), resolved=True),
    ]
    if visit:
        follow.append(VisitRecorded(contacted=True, satisfaction="satisfied", visited_at=at + timedelta(days=2)))
    for i, payload in enumerate(follow, start=1):
        chain.append(
            event(
                payload,
                case_id,
                at + timedelta(hours=i),
                cause=chain[-1],
                actor=dept if payload.event_type.startswith("Case") else Actor(role="hotline", id="op-1"),
            )
        )
    return chain


def new_case() -> str:
    return f"C-{uuid.uuid4().hex[:12]}"


async def test_a_dispatch_that_arrives_before_its_intake_still_follows_it_in_the_record(audit: Harness):
    case_id = new_case()
    received, dispatched = whole_loop(case_id, audit.clock())[:2]
    await audit.publish(dispatched)
    await asyncio.sleep(1.0)  # the dispatch waits for its cause
    assert await audit.record(case_id) == {}
    await audit.publish(received)
    entries = await audit.entries_of(case_id, 2)
    assert [(e["seq"], e["step"], e["event_type"]) for e in entries] == [
        (1, "受理", "CaseReceived"),
        (2, "派单", "CaseDispatched"),
    ]
    assert entries[1]["decided_by"] == "routing_version=12;rule_id=r-17"
    assert entries[1]["prev_hash"] == entries[0]["hash"]


async def test_a_redelivered_event_adds_nothing_to_the_record(audit: Harness):
    case_id = new_case()
    events = whole_loop(case_id, audit.clock())[:2]
    for env in events + events + [events[0]]:
        await audit.publish(env)
    await audit.entries_of(case_id, 2)
    await asyncio.sleep(1.0)  # a second copy would show up now
    assert [e["seq"] for e in (await audit.record(case_id))["entries"]] == [1, 2]


async def test_an_event_whose_cause_never_comes_is_recorded_after_the_wait_and_flagged(audit: Harness):
    case_id = new_case()
    dispatched = whole_loop(case_id, audit.clock())[1]
    await audit.publish(dispatched)
    await asyncio.sleep(1.0)
    audit.clock.advance(seconds=31)
    entries = await audit.entries_of(case_id, 1)
    assert entries[0]["event_type"] == "CaseDispatched" and entries[0]["cause_missing"] is True


async def test_the_record_keeps_no_requester_data(audit: Harness):
    case_id = new_case()
    await audit.publish(whole_loop(case_id, audit.clock())[0])
    entry = (await audit.entries_of(case_id, 1))[0]
    assert "requester" not in entry["payload"] and entry["payload"]["category"] == "env.noise"


async def test_a_case_that_runs_the_whole_loop_is_complete_and_one_without_the_visit_misses_it(audit: Harness):
    done, skipped = new_case(), new_case()
    for env in whole_loop(done, audit.clock()) + whole_loop(skipped, audit.clock(), visit=False):
        await audit.publish(env)
    await audit.entries_of(done, 6)
    await audit.entries_of(skipped, 5)
    assert (await audit.record(done))["loop"] == {"complete": True, "missing": [], "overdue": False, "cycle": 1}
    loop = (await audit.record(skipped))["loop"]
    assert loop["complete"] is False and loop["missing"] == ["回访", "评价"]
    listed = (
        await audit.svc.client.get("/v1/loops/open", params={"step": "回访", "page_size": 200}, headers=SUPERVISOR)
    ).json()
    assert skipped in {i["case_id"] for i in listed["items"]} and done not in {i["case_id"] for i in listed["items"]}


async def test_a_closed_case_without_a_visit_past_the_grace_shows_as_overdue(audit: Harness):
    case_id = new_case()
    for env in whole_loop(case_id, audit.clock() - timedelta(days=10), visit=False):
        await audit.publish(env)
    await audit.entries_of(case_id, 5)
    assert (await audit.record(case_id))["loop"]["overdue"] is True
    overdue = (
        await audit.svc.client.get("/v1/loops/open", params={"overdue": "true", "page_size": 200}, headers=SUPERVISOR)
    ).json()
    item = next(i for i in overdue["items"] if i["case_id"] == case_id)
    assert item["missing_step"] == "回访" and item["overdue"] is True


async def test_altering_a_stored_entry_is_reported_with_the_first_bad_seq(audit: Harness):
    case_id = new_case()
    for env in whole_loop(case_id, audit.clock()):
        await audit.publish(env)
    await audit.entries_of(case_id, 6)
    verify = f"/v1/records/{case_id}/verify"
    assert (await audit.svc.client.get(verify, headers=SUPERVISOR)).json() == {
        "case_id": case_id,
        "valid": True,
        "entries": 6,
        "first_bad_seq": None,
    }
    await audit.sql(
        "UPDATE record_entries SET actor = :a WHERE case_id = :c AND seq = 4",
        a='{"id":"someone-else","role":"department","unit":"GZ-TH-CG"}',
        c=case_id,
    )
    assert (await audit.svc.client.get(verify, headers=SUPERVISOR)).json() == {
        "case_id": case_id,
        "valid": False,
        "entries": 6,
        "first_bad_seq": 4,
    }


async def test_a_rewritten_whole_chain_passes_its_own_check_but_not_the_anchor(audit: Harness):
    from audit.domain.chain import next_entry

    case_id = new_case()
    for env in whole_loop(case_id, audit.clock())[:2]:
        await audit.publish(env)
    entries = await audit.entries_of(case_id, 2)
    assert (await audit.svc.client.post("/v1/anchors", headers=SUPERVISOR)).status_code == 201
    before = (await audit.svc.client.get("/v1/anchors/verify", headers=SUPERVISOR)).json()
    assert before["valid"] is True
    # Rewrite the chain consistently: the first entry's time changes, every hash is recomputed.
    head = None
    for e in entries:
        at = datetime.fromisoformat(e["at"]) - timedelta(days=1) if e["seq"] == 1 else datetime.fromisoformat(e["at"])
        head = next_entry(
            head,
            case_id=case_id,
            event_id=e["event_id"],
            event_type=e["event_type"],
            step=e["step"],
            actor=_canonical(e["actor"]),
            at=at,
            decided_by=e["decided_by"],
            payload=e["payload"],
        )
        await audit.sql(
            "UPDATE record_entries SET at = :at, prev_hash = :p, hash = :h WHERE case_id = :c AND seq = :s",
            at=head.at,
            p=head.prev_hash,
            h=head.hash,
            c=case_id,
            s=head.seq,
        )
    assert (await audit.svc.client.get(f"/v1/records/{case_id}/verify", headers=SUPERVISOR)).json()["valid"] is True
    after = (await audit.svc.client.get("/v1/anchors/verify", headers=SUPERVISOR)).json()
    assert after["valid"] is False and case_id in after["changed_cases"]


def _canonical(actor: dict) -> str:
    import orjson

    return orjson.dumps(actor, option=orjson.OPT_SORT_KEYS).decode()


async def test_postgresql_refuses_to_update_or_delete_a_record_entry(audit: Harness):
    if audit.backend != "postgres":
        pytest.skip("the trigger is PostgreSQL's")
    case_id = new_case()
    await audit.publish(whole_loop(case_id, audit.clock())[0])
    await audit.entries_of(case_id, 1)
    for statement in (
        "UPDATE record_entries SET step = '办结' WHERE case_id = :c",
        "DELETE FROM record_entries WHERE case_id = :c",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with audit.svc.runtime.engine.begin() as conn:
                await conn.execute(text(statement), {"c": case_id})
    assert len((await audit.record(case_id))["entries"]) == 1


async def test_records_need_a_supervisor_or_hotline_token(audit: Harness):
    dept = auth_header(Role.DEPARTMENT, unit=UNIT)
    assert (await audit.svc.client.get("/v1/records/C-x", headers=dept)).status_code == 403
    assert (await audit.svc.client.get("/v1/records/C-x", headers=auth_header(Role.HOTLINE))).status_code == 404
    assert (await audit.svc.client.get("/v1/loops/open", headers=auth_header(Role.HOTLINE))).status_code == 403


async def test_verifying_every_chain_names_each_broken_case_and_its_first_bad_seq(audit: Harness):
    from audit.verify_cli import verify_everything

    case_id = new_case()
    for env in whole_loop(case_id, audit.clock())[:3]:
        await audit.publish(env)
    await audit.entries_of(case_id, 3)
    await audit.sql("UPDATE record_entries SET payload = '{}' WHERE case_id = :c AND seq = 2", c=case_id)
    report = await verify_everything(audit.svc.runtime.engine, batch=4)
    assert (case_id, 2) in report.broken and report.valid is False
    assert report.entries >= 3
