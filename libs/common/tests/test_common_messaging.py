"""The messaging plumbing against the real broker (Tansu, Kafka protocol) and real databases."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from confluent_kafka import Consumer as ConfluentConsumer
from confluent_kafka import TopicPartition as ConfluentPartition
from prometheus_client.parser import text_string_to_metric_families
from pydantic import Field
from sqlalchemy import Column, Integer, String, Table, func, insert, select

from caseflow_common import contracts, topics
from caseflow_common.db import new_metadata
from caseflow_common.events import Actor, Envelope, Payload, new_event, register
from caseflow_common.messaging.consumer import PermanentError
from caseflow_common.messaging.tables import messaging_tables
from caseflow_common.operations import mark_unsent
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from caseflow_common.settings import CommonSettings
from caseflow_common.testing import ManualClock, running, service_settings, topic_reader, wait_for
from caseflow_common.uow import UnitOfWork

# A throwaway service that records every applied event in a ledger.

TOPIC = "caseflow.intake.v1"
# This module is the ledger service's contract: its events travel on TOPIC (the consumers' allowlist says so).
contracts.PRODUCER_TOPICS[__name__] = TOPIC


@register
class LedgerTouched(Payload):
    event_type = "LedgerTouched"
    n: int = Field(description="position of this event within its case")
    poison: bool = False


@dataclass(frozen=True)
class Ledger:
    """The test service's context: its one table."""

    table: Table


def make_spec(name: str) -> tuple[ServiceSpec[UnitOfWork, Ledger], Ledger]:
    md = new_metadata()
    messaging_tables(md)
    ledger = Table(
        "ledger",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False),
        Column("case_id", String(40), nullable=False),
        Column("n", Integer, nullable=False),
    )

    spec: ServiceSpec[UnitOfWork, Ledger] = ServiceSpec(
        name=name,
        metadata=md,
        migrations=None,
        own_topic=TOPIC,
        uow_class=UnitOfWork,
        consumes=[TOPIC],
        handlers={LedgerTouched: on_touched},
    )
    return spec, Ledger(ledger)


async def on_touched(env: Envelope, uow: UnitOfWork, ctx: Ledger) -> None:
    event = env.payload_as(LedgerTouched)
    if event.poison:
        raise PermanentError("poison pill")
    await uow.session.execute(insert(ctx.table).values(event_id=str(env.event_id), case_id=env.case_id, n=event.n))


def touched(case_id: str, n: int, at: datetime, poison: bool = False) -> Envelope:
    return new_event(
        LedgerTouched(n=n, poison=poison),
        case_id=case_id,
        producer="ledger",
        actor=Actor(role="system", id="test"),
        occurred_at=at,
    )


async def ledger_rows(runtime: ServiceRuntime[UnitOfWork, Ledger]) -> list[tuple[str, str, int]]:
    t = runtime.context.table
    async with runtime.sessions() as s:
        return [tuple(r) for r in (await s.execute(select(t.c.event_id, t.c.case_id, t.c.n).order_by(t.c.id))).all()]


async def ledger_count(runtime: ServiceRuntime[UnitOfWork, Ledger]) -> int:
    t = runtime.context.table
    async with runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(t))).scalar_one()


def build_ledger(settings: CommonSettings, clock=None):  # type: ignore[no-untyped-def]
    spec, ledger = make_spec(settings.service_name)
    runtime = ServiceRuntime(spec, settings, ledger, clock or ManualClock())
    return runtime, create_app(runtime, title="ledger", description="test", routers=[], manage_runtime=False)


async def _emit(runtime: ServiceRuntime, envelopes) -> None:  # type: ignore[no-untyped-def]
    async with runtime.uow() as uow:
        for env in envelopes:
            uow.emit(env)
        await uow.commit()


async def test_events_written_with_the_state_change_reach_the_consumer_once_each(broker, topic_prefix, databases):
    settings = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,  # messaging mechanics here; signatures have their own tests
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as svc:
        await _emit(svc.runtime, [touched(f"C-{i % 5}", i, clock()) for i in range(50)])
        await wait_for(lambda: _count_is(svc.runtime, 50), timeout=20)
        await asyncio.sleep(0.5)  # anything extra would show up now
        assert await ledger_count(svc.runtime) == 50


async def _count_is(runtime: ServiceRuntime, n: int) -> bool:
    return await ledger_count(runtime) == n


async def test_a_relay_stopped_between_publish_and_mark_sent_republishes_without_a_second_effect(
    broker, topic_prefix, databases
):
    settings = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,  # messaging mechanics here; signatures have their own tests
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock, workers=False) as svc:
        relay = svc.runtime.relay

        async def crash(_ids):  # type: ignore[no-untyped-def]
            raise RuntimeError("relay process died after the broker acked")

        relay.after_publish = crash
        await _emit(svc.runtime, [touched("C-1", i, clock()) for i in range(10)])
        try:
            await relay.run_once()
        except RuntimeError:
            pass
        backlog, _ = await relay.measure_backlog()
        assert backlog == 10, "rows stay unsent when the relay dies before marking them"
        relay.after_publish = None
        assert await relay.run_once() == 10  # the restarted relay publishes the same 10 events again
        await svc.runtime.start_workers()
        await wait_for(lambda: _count_is(svc.runtime, 10), timeout=20)
        await asyncio.sleep(0.5)
        rows = await ledger_rows(svc.runtime)
        assert len(rows) == 10 and len({r[0] for r in rows}) == 10
        assert (await relay.measure_backlog())[0] == 0


async def test_a_redelivered_event_has_no_second_effect(broker, topic_prefix, databases):
    settings = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,  # messaging mechanics here; signatures have their own tests
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as svc:
        env = touched("C-9", 1, clock())
        producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
        await producer.start()
        try:
            for _ in range(3):  # the same event three times, as a broker redelivery or a replayed outbox would
                await producer.send_and_wait(topic_prefix + TOPIC, env.to_bytes(), key=b"C-9")
        finally:
            await producer.stop()
        await wait_for(lambda: _count_is(svc.runtime, 1), timeout=20)
        await asyncio.sleep(0.5)
        assert await ledger_count(svc.runtime) == 1


async def test_a_poison_message_goes_to_the_dead_letter_topic_and_the_consumer_keeps_going(
    broker, topic_prefix, sqlite_only
):
    settings = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await sqlite_only.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,  # messaging mechanics here; signatures have their own tests
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as svc:
        producer = AIOKafkaProducer(bootstrap_servers=broker, enable_idempotence=False)
        await producer.start()
        try:
            await producer.send_and_wait(topic_prefix + TOPIC, b"{not json", key=b"C-1")
            await producer.send_and_wait(
                topic_prefix + TOPIC, touched("C-1", 1, clock(), poison=True).to_bytes(), key=b"C-1"
            )
            await producer.send_and_wait(topic_prefix + TOPIC, touched("C-1", 2, clock()).to_bytes(), key=b"C-1")
        finally:
            await producer.stop()
        await wait_for(lambda: _count_is(svc.runtime, 1), timeout=20)
        dlq = topic_reader(broker, topic_prefix + topics.DLQ)
        await dlq.start()
        try:
            records: list[dict] = []

            async def two_dead_letters():  # type: ignore[no-untyped-def]
                batch = await dlq.getmany(timeout_ms=200)
                records.extend(orjson.loads(m.value) for msgs in batch.values() for m in msgs)
                return len(records) >= 2

            await wait_for(two_dead_letters, timeout=20)
        finally:
            await dlq.stop()
        parked = sorted((r["reason"], r["detail"]) for r in records)
        assert parked[0][0] == "handler_refused" and parked[0][1].startswith("PermanentError: poison pill")
        assert parked[1][0] == "unparseable" and parked[1][1].startswith("unparseable envelope")
        assert all(r["source_topic"] == topic_prefix + TOPIC and r["value_b64"] for r in records)


async def test_one_cases_events_are_applied_in_the_order_they_were_written(broker, topic_prefix, databases):
    settings = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,  # messaging mechanics here; signatures have their own tests
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as svc:
        for batch in range(5):  # several transactions, interleaving cases
            await _emit(svc.runtime, [touched(f"C-{c}", batch * 10 + i, clock()) for i in range(10) for c in range(3)])
        await wait_for(lambda: _count_is(svc.runtime, 150), timeout=30)
        rows = await ledger_rows(svc.runtime)
        for c in range(3):
            ns = [n for _, case, n in rows if case == f"C-{c}"]
            assert ns == sorted(ns) and len(ns) == 50


async def test_replicas_joining_and_leaving_a_group_mid_stream_apply_every_event_exactly_once(
    broker, topic_prefix, databases
):
    """Two replicas share a consumer group and a database; one joins late and one leaves early (rebalances)."""
    url = await databases.new_url("ledger")
    settings = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=url,
        service_name="ledger",
        require_signed_events=False,  # messaging mechanics here; signatures have their own tests
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as first:
        await _emit(first.runtime, [touched(f"C-{i % 7}", i, clock()) for i in range(100)])
        async with running(build_ledger, settings, clock=clock) as second:  # joins: the group rebalances
            await _emit(second.runtime, [touched(f"C-{i % 7}", 100 + i, clock()) for i in range(100)])
            await asyncio.sleep(1.5)
        # second left: the group rebalances again while more events arrive
        await _emit(first.runtime, [touched(f"C-{i % 7}", 200 + i, clock()) for i in range(100)])
        await wait_for(lambda: _count_is(first.runtime, 300), timeout=40)
        await asyncio.sleep(1.0)
        rows = await ledger_rows(first.runtime)
        assert len(rows) == 300 and len({r[0] for r in rows}) == 300


async def test_housekeeping_forgets_only_what_can_no_longer_be_redelivered_or_republished(
    broker, topic_prefix, databases
):
    settings = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,  # messaging mechanics here; signatures have their own tests
        outbox_retention_hours=24,
        processed_retention_days=45,
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock, workers=False) as svc:
        rt = svc.runtime
        await _emit(rt, [touched("C-1", 1, clock())])
        assert await rt.relay.run_once() == 1  # published and marked sent now
        async with rt.uow() as uow:
            await uow.mark_processed("old-event", "ledger")
            await uow.commit()
        clock.advance(days=2)
        async with rt.uow() as uow:
            await uow.mark_processed("recent-event", "ledger")
            await uow.commit()
        await _emit(rt, [touched("C-2", 2, clock())])  # unsent: never purged
        clock.advance(days=44)
        await rt.relay.housekeeping(force=True)
        async with rt.uow() as uow:
            assert await uow.processed_among(["old-event", "recent-event"]) == {"recent-event"}
        async with rt.sessions() as s:
            rows = (await s.execute(select(rt.outbox.c.key, rt.outbox.c.sent_at))).all()
        assert [(r.key, r.sent_at) for r in rows] == [("C-2", None)]


async def test_a_commit_wakes_the_relay_at_once_however_seldom_it_polls_when_idle(broker, topic_prefix, databases):
    settings = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,
        relay_idle_poll_s=60,  # idle it would not look again for a minute
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as svc:
        await asyncio.sleep(1.0)  # the relay is asleep now
        started = time.monotonic()
        await _emit(svc.runtime, [touched("C-wake", 1, clock())])
        await wait_for(lambda: _count_is(svc.runtime, 1), timeout=10)
        assert time.monotonic() - started < 5


async def test_on_postgresql_a_commit_in_one_replica_wakes_the_relay_of_the_other(broker, topic_prefix, databases):
    if databases.backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite has one writer, so one replica")
    settings = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,
        relay_idle_poll_s=60,  # idle, neither relay would look again for a minute
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as first:
        await wait_for(lambda: _holds_lease(first.runtime), timeout=10)
        async with running(build_ledger, settings, clock=clock) as second:
            await wait_for(lambda: _listening(first.runtime, second.runtime), timeout=10)
            await asyncio.sleep(1.0)  # both relays are asleep now; only the first holds the lease
            assert not await _holds_lease(second.runtime)
            started = time.monotonic()
            await _emit(second.runtime, [touched("C-notify", 1, clock())])  # committed where no relay publishes
            await wait_for(lambda: _count_is(first.runtime, 1), timeout=20)
            assert time.monotonic() - started < 20  # not the minute of the idle poll


async def test_on_postgresql_a_republish_wakes_the_running_relay_at_once(broker, topic_prefix, databases):
    if databases.backend != "postgres":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the republish command runs beside no other writer")
    settings = await ledger_settings(broker, topic_prefix, databases, relay_idle_poll_s=60)
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as svc:
        rt = svc.runtime
        await _emit(rt, [touched("C-republish", 1, clock())])
        await wait_for(lambda: _all_sent(rt), timeout=20)
        await wait_for(lambda: _listening(rt), timeout=10)
        await asyncio.sleep(1.0)  # the relay is asleep now, for a minute unless told
        started = time.monotonic()
        # What `python -m <service> republish --since ...` does, from another process's connection.
        assert await mark_unsent(rt.sessions, rt.outbox, since=datetime(2000, 1, 1, tzinfo=UTC)) == 1
        await wait_for(lambda: _all_sent(rt), timeout=20)
        assert time.monotonic() - started < 20  # not the minute of the idle poll


async def _all_sent(runtime: ServiceRuntime) -> bool:
    async with runtime.sessions() as s:
        unsent = (await s.execute(select(func.count()).where(runtime.outbox.c.sent_at.is_(None)))).scalar_one()
        total = (await s.execute(select(func.count()).select_from(runtime.outbox))).scalar_one()
    return total > 0 and unsent == 0


async def _holds_lease(runtime: ServiceRuntime) -> bool:
    assert runtime.relay is not None
    return runtime.relay.lease._held_until is not None


async def _listening(*runtimes: ServiceRuntime) -> bool:
    return all(rt.relay is not None and rt.relay.listening for rt in runtimes)


async def test_the_series_alerts_watch_exist_at_zero_before_the_first_dead_letter(broker, topic_prefix, databases):
    settings = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,
    )
    async with running(build_ledger, settings, clock=ManualClock()) as svc:
        text = (await svc.client.get("/metrics")).text
    topic = topic_prefix + TOPIC
    for reason in ("bad_signature", "invalid_payload", "unknown_version"):
        assert f'caseflow_dlq_messages_total{{reason="{reason}",service="ledger",topic="{topic}"}} 0.0' in text
    assert 'caseflow_broker_resets_total{reason="emptied",service="ledger"} 0.0' in text


async def ledger_settings(broker: str, prefix: str, databases, **overrides) -> CommonSettings:  # type: ignore[no-untyped-def]
    """The ledger service on its own database, unsigned events allowed (messaging mechanics)."""
    return service_settings(
        CommonSettings,
        broker=broker,
        prefix=prefix,
        database_url=await databases.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,
        **overrides,
    )


def broker_lag(broker: str, group: str, topic: str, partitions: int = 3) -> dict[int, int]:
    """The group's lag per partition as the broker has it, read with a second client (librdkafka): the end offset
    minus the group's committed offset (none committed: from the start of the log, 0 on every test topic)."""
    client = ConfluentConsumer({"bootstrap.servers": broker, "group.id": group, "enable.auto.commit": False})
    try:
        tps = [ConfluentPartition(topic, p) for p in range(partitions)]
        committed = {tp.partition: tp.offset for tp in client.committed(tps, timeout=10)}
        out = {}
        for tp in tps:
            _, end = client.get_watermark_offsets(tp, timeout=10)
            out[tp.partition] = end - max(0, committed[tp.partition])
        return out
    finally:
        client.close()


def lag_on_metrics(text: str, service: str, topic: str) -> dict[int, int]:
    """caseflow_consumer_lag per partition as the service's /metrics shows it."""
    out = {}
    for family in text_string_to_metric_families(text):
        if family.name != "caseflow_consumer_lag":
            continue
        for sample in family.samples:
            if sample.labels["service"] == service and sample.labels["topic"] == topic:
                out[int(sample.labels["partition"])] = int(sample.value)
    return out


async def test_the_consumer_lag_on_metrics_is_the_brokers_lag_for_the_group_and_drains_to_zero(
    broker, topic_prefix, databases
):
    settings = await ledger_settings(broker, topic_prefix, databases, consumer_lag_refresh_s=0.5)
    topic = topic_prefix + TOPIC
    producer = AIOKafkaProducer(bootstrap_servers=broker)
    await producer.start()
    clock = ManualClock()
    try:
        async with running(build_ledger, settings, clock=clock) as svc:
            runtime = svc.runtime
            first = touched("C-lag-0", 0, clock())
            await producer.send_and_wait(topic, first.to_bytes(), key=b"C-lag-0")
            await wait_for(lambda: ledger_count(runtime), timeout=20)  # consuming, partitions assigned
            consumer = runtime.consumer.consumer
            assigned = consumer.assignment()
            assert len(assigned) == 3
            consumer.pause(*assigned)  # the service stops reading; the broker goes on taking events
            n = 35
            for i in range(1, n + 1):
                env = touched(f"C-lag-{i % 7}", i, clock())
                await producer.send_and_wait(topic, env.to_bytes(), key=env.case_id.encode())
            real = await asyncio.to_thread(broker_lag, broker, settings.group_id, topic)
            assert sum(real.values()) == n

            async def shown() -> dict[int, int]:
                return lag_on_metrics((await svc.client.get("/metrics")).text, "ledger", topic)

            async def agrees() -> bool:
                return await shown() == real

            await wait_for(agrees, timeout=20, interval=0.2)
            assert sum((await shown()).values()) == n
            ready = (await svc.client.get("/readyz")).json()["checks"]["consumer"]
            assert ready["state"] == "catching_up" and ready["lag"] == n

            consumer.resume(*assigned)

            async def drained() -> bool:
                return set((await shown()).values()) == {0} and await ledger_count(runtime) == n + 1

            await wait_for(drained, timeout=30, interval=0.2)
            assert set((await asyncio.to_thread(broker_lag, broker, settings.group_id, topic)).values()) == {0}
    finally:
        await producer.stop()
