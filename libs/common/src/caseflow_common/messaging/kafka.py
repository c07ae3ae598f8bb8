"""aiokafka factories and topic administration (the embedded broker does not auto-create topics).

Every Kafka client of a service (producer, consumer, admin, the broker guard's watermark reader, the dead-letter
reader) connects the same way: ``client_security(settings)`` turns the ``CASEFLOW_KAFKA_*`` security settings into
the aiokafka keyword arguments each of them is given. The default is PLAINTEXT with no arguments at all (the
embedded broker); the deployment's Apache Kafka wants SASL/SCRAM (docs/operations.md, "Locking the bus").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context

from caseflow_common.settings import CommonSettings

log = logging.getLogger(__name__)

# The keyword arguments of a client that connects with PLAINTEXT: none (aiokafka's own default).
PLAINTEXT: Mapping[str, Any] = MappingProxyType({})


def client_security(settings: CommonSettings) -> dict[str, Any]:
    """The aiokafka client keyword arguments of the settings' security protocol, SASL credentials and TLS files.

    PLAINTEXT gives ``{}``; SSL and SASL_SSL get an ``ssl_context`` that verifies the broker against
    ``kafka_ssl_cafile`` (the system CAs when unset) and presents ``kafka_ssl_certfile``/``kafka_ssl_keyfile`` when
    set (mutual TLS); SASL_PLAINTEXT and SASL_SSL log in as ``kafka_sasl_username``.
    """
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return dict(PLAINTEXT)
    kwargs: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        kwargs["ssl_context"] = create_ssl_context(
            cafile=settings.kafka_ssl_cafile,
            certfile=settings.kafka_ssl_certfile,
            keyfile=settings.kafka_ssl_keyfile,
        )
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        kwargs.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.get_secret_value(),
        )
    return kwargs


# Per partition and request: a round of the relay's 500 events of ~1 KiB, well below a broker's default 1 MiB limit.
MAX_BATCH_BYTES = 512 * 1024


def new_producer(
    bootstrap: str, *, idempotence: bool, client_id: str, security: Mapping[str, Any] = PLAINTEXT
) -> AIOKafkaProducer:
    """A producer keyed by case_id upstream; idempotence is a setting (Tansu refuses InitProducerId).

    A relay round (up to 500 outbox rows) fits one batch per partition (``MAX_BATCH_BYTES``), so it goes out in one
    produce request: with the client's 16 KiB default, a round took a request per ~23 events, one after the other,
    each waiting its turn on a busy event loop (a loaded intake's round of 500 took 6.5 s)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=idempotence,
        linger_ms=2,
        max_batch_size=MAX_BATCH_BYTES,
        request_timeout_ms=15000,
        **security,
    )


async def ensure_topics(
    bootstrap: str,
    topics: list[str],
    *,
    partitions: int,
    replication: int = 1,
    attempts: int = 30,
    security: Mapping[str, Any] = PLAINTEXT,
) -> None:
    """Create every topic with its final partition count; existing topics are left as they are."""
    last: Exception | None = None
    for attempt in range(attempts):
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="caseflow-admin", **security)
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
    """Readiness probe: the producer's client (so with the producer's security settings) can fetch cluster
    metadata."""
    try:
        await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout=3)
        return True
    except Exception:
        return False
