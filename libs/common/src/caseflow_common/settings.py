"""Typed settings base: every service's ``Settings`` extends this; nothing else reads the environment."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_MARK = "dev-only-"

KafkaSecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"]
KafkaSaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]


class TrustedKeySetting(BaseModel):
    """A producer's public key, as consumers are given it."""

    producer: str
    public_key: str


class CommonSettings(BaseSettings):
    """Settings shared by all services, read from ``CASEFLOW_*`` environment variables."""

    # A refused setting is named, never echoed: validation errors leave the input out (it may hold a secret).
    model_config = SettingsConfigDict(env_prefix="CASEFLOW_", extra="ignore", hide_input_in_errors=True)

    service_name: str = "caseflow"
    env: Literal["dev", "prod"] = Field(
        description="dev (the embedded default) or prod: required, so nothing starts on an implicit environment"
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    database_url: str = "sqlite+aiosqlite:///./var/caseflow.db"
    database_pool_size: int = Field(
        default=5,
        ge=1,
        le=100,
        description="PostgreSQL connections kept per process, and as many again under a burst (SQLite: always one);"
        " sized for a 2-core host, where more connections only wait on the same CPU",
    )
    sqlite_driver: Literal["inline", "aiosqlite"] = Field(
        default="inline",
        description="how a sqlite+aiosqlite:// database is driven: inline runs sqlite3 on the event loop's thread"
        " (caseflow_common.sqlite_inline), aiosqlite on a worker thread of its own (a hand-off per call)",
    )
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_idempotence: bool = Field(default=False, description="on for Apache Kafka; the embedded Tansu refuses it")
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        default="PLAINTEXT",
        description="how every Kafka client connects: PLAINTEXT (embedded default), SASL_PLAINTEXT, SASL_SSL or SSL",
    )
    kafka_sasl_mechanism: KafkaSaslMechanism = Field(
        default="SCRAM-SHA-512", description="SASL mechanism of the SASL protocols (the deployment's broker: SCRAM)"
    )
    kafka_sasl_username: str = Field(default="", description="SASL user (principal User:<name>) of this service")
    kafka_sasl_password: SecretStr = Field(default=SecretStr(""), description="SASL password of kafka_sasl_username")
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="PEM file of the CA that signed the broker's certificate (SSL, SASL_SSL)"
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None, description="client certificate, PEM (mutual TLS; may also hold the key)"
    )
    kafka_ssl_keyfile: Path | None = Field(default=None, description="private key of kafka_ssl_certfile, PEM")
    topic_prefix: str = ""
    topic_partitions: int = 3
    topic_replication: int = 1
    create_topics: bool = True
    consumer_group: str = ""
    consumer_batch: int = 200
    consumer_session_timeout_ms: int = Field(
        default=10000, description="group session timeout; Tansu holds a JoinGroup ~half of it, so dev uses 2000"
    )
    consumer_rebalance_timeout_ms: int = 10000
    consumer_fetcher_wake_ms: int = Field(
        default=1000,
        ge=50,
        description="the Kafka client's fetch routine wakes at least this often while nothing happens (it wakes at"
        " once for a fetch answered, a batch consumed or a rebalance; aiokafka's default is 200)",
    )
    consumer_lag_refresh_s: float = Field(
        default=10.0,
        gt=0,
        description="caseflow_consumer_lag is the broker's end offset minus this consumer's committed offset of every"
        " assigned partition, asked of the broker at most this often (also while nothing arrives)",
    )
    relay_batch: int = 500
    relay_interval_s: float = Field(default=0.05, description="first back-off of the relay after a publish failure")
    relay_idle_poll_s: float = Field(
        default=5.0,
        description="idle, the relay polls this seldom: a fallback only (commits in this process wake it at once, on"
        " PostgreSQL other replicas' commits too, by NOTIFY)",
    )
    outbox_retention_hours: float = Field(default=24, description="sent outbox rows older than this are purged")
    processed_retention_days: float = Field(
        default=45, description="applied event ids are forgotten after this; keep it above the topics' retention"
    )
    broker_check_interval_s: float = Field(
        default=2.0, description="how often the broker guard checks that every needed topic and its data is there"
    )
    readiness_timeout_s: float = Field(default=2.0, description="each /readyz check answers within this")
    retry_after_s: int = Field(default=5, description="Retry-After of a 503 when a dependency is unavailable")
    auth_secret: str = Field(default="", description="HS256 secret for bearer tokens")
    signing_key: SecretStr = Field(
        default=SecretStr(""), description="this service's Ed25519 signing key: the 32-byte seed, base64"
    )
    signing_key_file: Path | None = Field(default=None, description="file holding signing_key (a mounted secret)")
    signing_key_id: str = Field(
        default="", description="id of the signing key (default <service>-1); rotate keys by id"
    )
    trusted_keys: dict[str, TrustedKeySetting] = Field(
        default_factory=dict,
        description='public keys of every producer, by key id: {"intake-1": {"producer": "intake", "public_key": "..."}}',
    )
    trusted_keys_file: Path | None = Field(default=None, description="JSON file of trusted_keys")
    require_signed_events: bool = Field(
        default=True,
        description="consumers refuse (dead-letter) events without a valid signature of their producer; false only "
        "in dev (tests and the signing-off benchmark), refused elsewhere",
    )
    max_body_bytes: int = 64 * 1024
    cors_allow_origins: list[str] = Field(
        default_factory=list,
        description="origins whose browsers may call the API (dashboards elsewhere); none by default outside dev",
    )
    data_dir: Path = Path("data/demo")
    log_level: str = "INFO"
    run_workers: bool = Field(default=True, description="run relay and consumers inside the web process")

    @model_validator(mode="after")
    def _no_insecure_default_secret(self) -> CommonSettings:
        # ARCHITECTURE.md rule 9: no insecure default secret outside the embedded dev mode.
        if self.env != "dev" and (len(self.auth_secret) < 32 or self.auth_secret.startswith(DEV_SECRET_MARK)):
            raise ValueError("CASEFLOW_AUTH_SECRET must be set to a strong secret (>= 32 chars) outside dev")
        if not self.auth_secret:
            raise ValueError("CASEFLOW_AUTH_SECRET is not set (the embedded default writes one to var/dev-secret)")
        return self

    @model_validator(mode="after")
    def _events_are_signed_outside_dev(self) -> CommonSettings:
        # ARCHITECTURE.md rule 6a: every event proves its origin; only dev (tests, benchmarks) may go without.
        if self.env != "dev" and not self.require_signed_events:
            raise ValueError("CASEFLOW_REQUIRE_SIGNED_EVENTS=false is for dev only: outside dev events are verified")
        return self

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> CommonSettings:
        # A locked bus needs the service's credentials; the message names the settings, never their values.
        sasl = self.kafka_security_protocol.startswith("SASL_")
        credentials = bool(self.kafka_sasl_username and self.kafka_sasl_password.get_secret_value())
        if sasl and self.env != "dev" and not credentials:
            raise ValueError(
                f"CASEFLOW_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs CASEFLOW_KAFKA_SASL_USERNAME "
                "and CASEFLOW_KAFKA_SASL_PASSWORD outside dev"
            )
        if self.kafka_ssl_keyfile is not None and self.kafka_ssl_certfile is None:
            raise ValueError("CASEFLOW_KAFKA_SSL_KEYFILE needs CASEFLOW_KAFKA_SSL_CERTFILE (the key's certificate)")
        return self

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}" if self.topic_prefix else name

    def signing_secret(self) -> str:
        """The signing key's seed, from the setting or its file ("" when none is configured)."""
        if self.signing_key_file is not None:
            return self.signing_key_file.read_text().strip()
        return self.signing_key.get_secret_value()

    def trusted_key_entries(self) -> dict[str, tuple[str, str]]:
        """``{key_id: (producer, public key)}`` from the setting and its file."""
        entries = {k: (v.producer, v.public_key) for k, v in self.trusted_keys.items()}
        if self.trusted_keys_file is not None:
            for key_id, v in json.loads(self.trusted_keys_file.read_text()).items():
                entries[key_id] = (str(v["producer"]), str(v["public_key"]))
        return entries

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"caseflow-{self.service_name}"


class TestSettings(BaseSettings):
    """Knobs of the test suite itself (``CASEFLOW_TEST_*``)."""

    model_config = SettingsConfigDict(env_prefix="CASEFLOW_TEST_", extra="ignore")
    __test__ = False  # not a test class

    postgres_dsn: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    require_postgres: bool = Field(
        default=False, description="fail instead of skip when PostgreSQL is unreachable (CI)"
    )
    artifacts: Path = Field(
        default=Path("var/test-artifacts"),
        description="where tests leave what people look at afterwards (the console's screenshot); relative to the"
        " repository",
    )

    @field_validator("require_postgres", mode="before")
    @classmethod
    def _blank_is_false(cls, v: object) -> object:
        return False if v == "" else v


def child_environment(overrides: dict[str, str]) -> dict[str, str]:
    """Environment for a child service process: ours minus any CASEFLOW_* variable, plus ``overrides``.

    This module is the one place that touches the process environment (ARCHITECTURE.md rule 9).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEFLOW_")}
    env.update(overrides)
    return env
