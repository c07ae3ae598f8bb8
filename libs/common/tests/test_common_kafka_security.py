"""SASL/TLS settings of every Kafka client: what they turn into, what is refused at start, and that each client
really connects with them (against the real broker, which offers no SASL: a SASL client is turned away)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from caseflow_common import topics
from caseflow_common.db import new_metadata
from caseflow_common.messaging.consumer import EventConsumer
from caseflow_common.messaging.guard import BrokerGuard
from caseflow_common.messaging.kafka import client_security, ensure_topics, new_producer
from caseflow_common.messaging.outbox import OutboxRelay
from caseflow_common.messaging.tables import messaging_tables
from caseflow_common.operations import read_dead_letters
from caseflow_common.runtime import ServiceRuntime, ServiceSpec
from caseflow_common.settings import CommonSettings
from caseflow_common.testing import ManualClock, service_settings
from caseflow_common.uow import UnitOfWork

SECRET = "prod-secret-0123456789abcdef0123456789"
PASSWORD = "scram-password-Zq81xLw3"


def settings(**overrides: object) -> CommonSettings:
    return CommonSettings(**{"env": "prod", "auth_secret": SECRET, **overrides})  # type: ignore[arg-type]


def sasl(**overrides: object) -> dict[str, object]:
    return {
        "kafka_security_protocol": "SASL_PLAINTEXT",
        "kafka_sasl_username": "dispatch",
        "kafka_sasl_password": PASSWORD,
        **overrides,
    }


def write_pki(tmp: Path) -> tuple[Path, Path, Path, x509.Certificate]:
    """A CA and a client certificate and key signed by it, as PEM files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "caseflow test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dispatch")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(ca_key, hashes.SHA256())
    )
    paths = tmp / "ca.pem", tmp / "client.pem", tmp / "client.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return *paths, ca


# --- what the settings turn into ------------------------------------------------------------------------------


def test_the_default_is_plaintext_and_adds_nothing_to_any_client() -> None:
    s = settings()
    assert s.kafka_security_protocol == "PLAINTEXT"
    assert client_security(s) == {}


def test_sasl_scram_logs_every_client_in_as_the_services_user() -> None:
    assert client_security(settings(**sasl())) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "dispatch",
        "sasl_plain_password": PASSWORD,
    }


def test_sasl_ssl_verifies_the_broker_against_the_configured_ca_and_presents_the_client_certificate(
    tmp_path: Path,
) -> None:
    cafile, certfile, keyfile, ca = write_pki(tmp_path)
    kwargs = client_security(
        settings(
            **sasl(kafka_security_protocol="SASL_SSL"),
            kafka_ssl_cafile=cafile,
            kafka_ssl_certfile=certfile,
            kafka_ssl_keyfile=keyfile,
        )
    )
    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["sasl_plain_username"] == "dispatch"
    context = kwargs["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    trusted = [dict(x[0] for x in c["subject"]) for c in context.get_ca_certs()]
    assert {"commonName": ca.subject.rfc4514_string().removeprefix("CN=")} in trusted


def test_a_client_key_that_is_not_the_certificates_own_is_refused(tmp_path: Path) -> None:
    cafile, certfile, _, _ = write_pki(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    _, _, foreign_key, _ = write_pki(other)
    with pytest.raises(ssl.SSLError):
        client_security(
            settings(
                kafka_security_protocol="SSL",
                kafka_ssl_cafile=cafile,
                kafka_ssl_certfile=certfile,
                kafka_ssl_keyfile=foreign_key,
            )
        )


def test_ssl_alone_gives_no_sasl_login(tmp_path: Path) -> None:
    cafile, *_ = write_pki(tmp_path)
    kwargs = client_security(settings(kafka_security_protocol="SSL", kafka_ssl_cafile=cafile))
    assert set(kwargs) == {"security_protocol", "ssl_context"}


# --- refused at start -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["kafka_sasl_username", "kafka_sasl_password"])
@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
def test_outside_dev_a_sasl_protocol_without_its_credentials_is_refused_without_echoing_a_value(
    missing: str, protocol: str
) -> None:
    given = sasl(kafka_security_protocol=protocol)
    given[missing] = ""
    with pytest.raises(ValidationError) as refused:
        settings(**given)
    message = str(refused.value)
    assert "CASEFLOW_KAFKA_SASL_USERNAME and CASEFLOW_KAFKA_SASL_PASSWORD" in message
    for value in (PASSWORD, "dispatch", SECRET):
        assert value not in message


def test_an_unknown_security_protocol_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as refused:
        settings(kafka_security_protocol="SASL_PLAINTEXT_" + PASSWORD)
    assert "kafka_security_protocol" in str(refused.value)
    assert PASSWORD not in str(refused.value)


def test_the_embedded_default_may_name_sasl_without_credentials() -> None:
    s = CommonSettings(env="dev", auth_secret=SECRET, kafka_security_protocol="SASL_PLAINTEXT")
    assert client_security(s)["sasl_plain_username"] == ""


def test_a_client_key_without_its_certificate_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="CASEFLOW_KAFKA_SSL_KEYFILE needs CASEFLOW_KAFKA_SSL_CERTFILE"):
        settings(kafka_security_protocol="SSL", kafka_ssl_keyfile=tmp_path / "client.key")


def test_the_password_never_shows_in_the_settings_repr() -> None:
    s = settings(**sasl())
    assert PASSWORD not in repr(s) and PASSWORD not in str(s.model_dump())


# --- every client connects with them (the test broker offers no SASL, so a SASL client is turned away) ----------

SASL_KWARGS = client_security(settings(**sasl()))


async def test_the_producer_speaks_sasl_when_told_to(broker: str) -> None:
    producer = new_producer(broker, idempotence=False, client_id="sasl-probe", security=SASL_KWARGS)
    try:
        with pytest.raises(KafkaConnectionError):
            await asyncio.wait_for(producer.start(), timeout=20)
    finally:
        await producer.stop()
    plain = new_producer(broker, idempotence=False, client_id="plain-probe")
    await asyncio.wait_for(plain.start(), timeout=20)  # the same broker, PLAINTEXT as before: accepted
    await plain.stop()


async def test_the_admin_client_speaks_sasl_when_told_to(broker: str, topic_prefix: str) -> None:
    with pytest.raises(RuntimeError, match="could not create topics"):
        await ensure_topics(broker, [topic_prefix + "sasl"], partitions=1, attempts=1, security=SASL_KWARGS)


async def test_the_dead_letter_reader_speaks_sasl_when_told_to(broker: str, topic_prefix: str) -> None:
    with pytest.raises(KafkaConnectionError):
        await read_dead_letters(broker, topic_prefix + topics.DLQ, timeout_s=2, security=SASL_KWARGS)
    assert await read_dead_letters(broker, topic_prefix + topics.DLQ, timeout_s=2) == []


def _spec() -> ServiceSpec[UnitOfWork, None]:
    md = new_metadata()
    messaging_tables(md)
    return ServiceSpec(
        name="ledger",
        metadata=md,
        migrations=None,
        own_topic=topics.INTAKE,
        uow_class=UnitOfWork,
        consumes=[topics.DISPATCH],
    )


async def test_the_consumer_and_the_broker_guard_speak_sasl_when_told_to(
    broker: str, topic_prefix: str, tmp_path: Path
) -> None:
    s = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}",
        service_name="ledger",
    )
    runtime = ServiceRuntime(_spec(), s, None, ManualClock())
    unused = new_producer(broker, idempotence=False, client_id="unused")  # never started: nothing is published
    consumer: EventConsumer[UnitOfWork, None] = EventConsumer(
        service="ledger",
        topics=[topic_prefix + topics.DISPATCH],
        group_id=f"{topic_prefix}ledger",
        bootstrap=broker,
        handlers={},
        uow_factory=runtime.uow,
        context=None,
        producer=unused,
        dlq_topic=topic_prefix + topics.DLQ,
        clock=runtime.clock,
        security=SASL_KWARGS,
    )
    try:
        with pytest.raises(KafkaConnectionError):
            await asyncio.wait_for(consumer.start(), timeout=20)
    finally:
        if consumer.consumer is not None:
            await consumer.consumer.stop()
    relay = OutboxRelay(
        service="ledger",
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        leases=runtime.leases,
        producer=unused,
        clock=runtime.clock,
    )
    guard = BrokerGuard(
        service="ledger",
        bootstrap=broker,
        topics={topic_prefix + topics.INTAKE: 3},
        own_topic=topic_prefix + topics.INTAKE,
        relay=relay,
        rewind=lambda: None,
        create=False,
        replication=1,
        window=dt.timedelta(hours=1),
        clock=runtime.clock,
        security=SASL_KWARGS,
    )
    state = await guard.check()
    assert state.error is not None and not state.ok  # it could not see the broker: the relay waits
    await unused.stop()
    await runtime.engine.dispose()
    await runtime.probe_engine.dispose()


async def test_a_service_configured_for_sasl_does_not_start_against_a_broker_without_it(
    broker: str, topic_prefix: str, tmp_path: Path
) -> None:
    s = service_settings(
        CommonSettings,
        broker=broker,
        prefix=topic_prefix,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}",
        service_name="ledger",
        **sasl(),
    )
    runtime = ServiceRuntime(_spec(), s, None, ManualClock())
    assert runtime.kafka_security == SASL_KWARGS
    try:
        with pytest.raises(KafkaConnectionError):
            await asyncio.wait_for(runtime.start(workers=False), timeout=30)
    finally:
        await runtime.stop()
