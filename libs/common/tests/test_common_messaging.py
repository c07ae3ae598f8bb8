"""The messaging plumbing against the real broker (Tansu, Kafka protocol) and real databases."""

from __future__ import annotations

import asyncio

import orjson
from aiokafka import AIOKafkaProducer
from ledger_service import TOPIC, build_ledger, count_is, emit, ledger_count, ledger_rows, ledger_settings, touched
from sqlalchemy import select

from caseflow_common import topics
from caseflow_common.settings import CommonSettings
from caseflow_common.testing import ManualClock, running, service_settings, topic_reader, wait_for


async def test_events_written_with_the_state_change_reach_the_consumer_once_each(broker, topic_prefix, databases):
    settings = await ledger_settings(broker, topic_prefix, databases)
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as svc:
        await emit(svc.runtime, [touched(f"C-{i % 5}", i, clock()) for i in range(50)])
        await wait_for(lambda: count_is(svc.runtime, 50), timeout=20)
        await asyncio.sleep(0.5)  # anything extra would show up now
        assert await ledger_count(svc.runtime) == 50


async def test_a_relay_stopped_between_publish_and_mark_sent_republishes_without_a_second_effect(
    broker, topic_prefix, databases
):
    settings = await ledger_settings(broker, topic_prefix, databases)
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock, workers=False) as svc:
        relay = svc.runtime.relay

        async def crash(_ids):  # type: ignore[no-untyped-def]
            raise RuntimeError("relay process died after the broker acked")

        relay.after_publish = crash
        await emit(svc.runtime, [touched("C-1", i, clock()) for i in range(10)])
        try:
            await relay.run_once()
        except RuntimeError:
            pass
        backlog, _ = await relay.measure_backlog()
        assert backlog == 10, "rows stay unsent when the relay dies before marking them"
        relay.after_publish = None
        assert await relay.run_once() == 10  # the restarted relay publishes the same 10 events again
        await svc.runtime.start_workers()
        await wait_for(lambda: count_is(svc.runtime, 10), timeout=20)
        await asyncio.sleep(0.5)
        rows = await ledger_rows(svc.runtime)
        assert len(rows) == 10 and len({r[0] for r in rows}) == 10
        assert (await relay.measure_backlog())[0] == 0


async def test_a_redelivered_event_has_no_second_effect(broker, topic_prefix, databases):
    settings = await ledger_settings(broker, topic_prefix, databases)
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
        await wait_for(lambda: count_is(svc.runtime, 1), timeout=20)
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
        await wait_for(lambda: count_is(svc.runtime, 1), timeout=20)
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
    settings = await ledger_settings(broker, topic_prefix, databases)
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock) as svc:
        for batch in range(5):  # several transactions, interleaving cases
            await emit(svc.runtime, [touched(f"C-{c}", batch * 10 + i, clock()) for i in range(10) for c in range(3)])
        await wait_for(lambda: count_is(svc.runtime, 150), timeout=30)
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
        await emit(first.runtime, [touched(f"C-{i % 7}", i, clock()) for i in range(100)])
        async with running(build_ledger, settings, clock=clock) as second:  # joins: the group rebalances
            await emit(second.runtime, [touched(f"C-{i % 7}", 100 + i, clock()) for i in range(100)])
            await asyncio.sleep(1.5)
        # second left: the group rebalances again while more events arrive
        await emit(first.runtime, [touched(f"C-{i % 7}", 200 + i, clock()) for i in range(100)])
        await wait_for(lambda: count_is(first.runtime, 300), timeout=40)
        await asyncio.sleep(1.0)
        rows = await ledger_rows(first.runtime)
        assert len(rows) == 300 and len({r[0] for r in rows}) == 300


async def test_housekeeping_forgets_only_what_can_no_longer_be_redelivered_or_republished(
    broker, topic_prefix, databases
):
    settings = await ledger_settings(
        broker,
        topic_prefix,
        databases,
        outbox_retention_hours=24,
        processed_retention_days=45,
    )
    clock = ManualClock()
    async with running(build_ledger, settings, clock=clock, workers=False) as svc:
        rt = svc.runtime
        await emit(rt, [touched("C-1", 1, clock())])
        assert await rt.relay.run_once() == 1  # published and marked sent now
        async with rt.uow() as uow:
            await uow.mark_processed("old-event", "ledger")
            await uow.commit()
        clock.advance(days=2)
        async with rt.uow() as uow:
            await uow.mark_processed("recent-event", "ledger")
            await uow.commit()
        await emit(rt, [touched("C-2", 2, clock())])  # unsent: never purged
        clock.advance(days=44)
        await rt.relay.housekeeping(force=True)
        async with rt.uow() as uow:
            assert await uow.processed_among(["old-event", "recent-event"]) == {"recent-event"}
        async with rt.sessions() as s:
            rows = (await s.execute(select(rt.outbox.c.key, rt.outbox.c.sent_at))).all()
        assert [(r.key, r.sent_at) for r in rows] == [("C-2", None)]
