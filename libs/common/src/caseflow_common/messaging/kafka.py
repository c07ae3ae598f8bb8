"""aiokafka factories and topic administration (the embedded broker does not auto-create topics)."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

log = logging.getLogger(__name__)


def new_producer(bootstrap: str, *, idempotence: bool, client_id: str) -> AIOKafkaProducer:
    """A producer keyed by case_id upstream; idempotence is a setting (Tansu refuses InitProducerId)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=idempotence,
        linger_ms=2,
        request_timeout_ms=15000,
    )


async def ensure_topics(
    bootstrap: str, topics: list[str], *, partitions: int, replication: int = 1, attempts: int = 30
) -> None:
    """Create every topic with its final partition count; existing topics are left as they are."""
    last: Exception | None = None
    for attempt in range(attempts):
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="caseflow-admin")
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in topics if t not in existing]
            if missing:
                try:
                    await admin.create_topics([NewTopic(t, partitions, replication) for t in missing])
                except TopicAlreadyExistsError:
                    pass  # a replica raced us; fine
                log.info("topics created", extra={"topics": missing, "partitions": partitions})
            return
        except (KafkaError, OSError) as exc:
            last = exc
            await asyncio.sleep(min(0.2 * (attempt + 1), 2.0))
        finally:
            await admin.close()
    raise RuntimeError(f"could not create topics on {bootstrap}: {last}")


async def broker_reachable(producer: AIOKafkaProducer) -> bool:
    """Readiness probe: the producer's client can fetch cluster metadata."""
    try:
        await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout=3)
        return True
    except Exception:
        return False
