"""What the consumer shows on /metrics: the series alerts watch exist at 0 from the start, and the lag is the broker's."""

from __future__ import annotations

import asyncio
import re

from aiokafka import AIOKafkaProducer
from confluent_kafka import Consumer as ConfluentConsumer
from confluent_kafka import TopicPartition as ConfluentPartition
from ledger_service import TOPIC, build_ledger, ledger_count, ledger_settings, touched
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from caseflow_common.testing import ManualClock, running, wait_for


async def test_the_series_alerts_watch_exist_at_zero_before_the_first_dead_letter(broker, topic_prefix, databases):
    settings = await ledger_settings(broker, topic_prefix, databases)
    async with running(build_ledger, settings, clock=ManualClock()) as svc:
        text = (await svc.client.get("/metrics")).text
    topic = topic_prefix + TOPIC
    for reason in ("bad_signature", "invalid_payload", "unknown_version"):
        assert f'caseflow_dlq_messages_total{{reason="{reason}",service="ledger",topic="{topic}"}} 0.0' in text
    assert 'caseflow_broker_resets_total{reason="emptied",service="ledger"} 0.0' in text
    # Process-wide and labelled by service only: present from the start (another test may have counted a failure).
    assert re.search(r'^caseflow_relay_errors_total\{service="ledger"\} \d', text, re.M)


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

    def batches() -> tuple[float, float]:  # (batches, records) the ledger's consumer applied so far, process-wide
        def value(name: str) -> float:
            return REGISTRY.get_sample_value(f"caseflow_consumer_batch_records_{name}", {"service": "ledger"}) or 0.0

        return value("count"), value("sum")

    before = batches()
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
            # Every record went through a batch, and the 35 held back arrived in fewer batches than records.
            count, records = (after - was for after, was in zip(batches(), before, strict=True))
            assert records == n + 1
            assert 2 <= count < n + 1
    finally:
        await producer.stop()
