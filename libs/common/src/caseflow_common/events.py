"""Event contracts: the envelope every message carries and the versioned payload models.

Producers only add fields within a version; consumers ignore fields they do not know (``extra="ignore"``).
Events carry the facts their consumers need, so no consumer has to look anything up in another service.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from caseflow_common.ids import uuid7


class Actor(BaseModel):
    """Who caused an event: a role, an id (system or user) and, for departments, the unit code."""

    model_config = ConfigDict(extra="ignore")
    role: str = Field(description="hotline, grid, department, coordination, supervisor, admin, ops or system")
    id: str = Field(default="", description="principal id (token subject) or system component")
    unit: str | None = Field(default=None, description="unit code for department / coordination actors")


SYSTEM = Actor(role="system", id="caseflow")


class Payload(BaseModel):
    """Base of every payload: tolerant reader, typed fields."""

    model_config = ConfigDict(extra="ignore")
    event_type: ClassVar[str]
    version: ClassVar[int] = 1


P = TypeVar("P", bound=Payload)
E = TypeVar("E", bound=StrEnum)

_REGISTRY: dict[tuple[str, int], type[Payload]] = {}


def tolerant(enum: type[E], other: E) -> Callable[[object], object]:
    """A before-validator for a closed list read tolerantly: a value this build does not know (a rung added by a newer
    producer during a rolling deploy) reads as ``other`` instead of failing validation and dead-lettering the event.

        RungField = Annotated[Rung, BeforeValidator(tolerant(Rung, Rung.OTHER))]
    """
    known = frozenset(m.value for m in enum)

    def _read(value: object) -> object:
        return other if isinstance(value, str) and value not in known else value

    return _read


def register(cls: type[P]) -> type[P]:
    """Class decorator: make a payload model known to the envelope parser."""
    key = (cls.event_type, cls.version)
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise ValueError(f"event {key} registered twice")
    _REGISTRY[key] = cls
    return cls


def payload_model(event_type: str, version: int) -> type[Payload] | None:
    return _REGISTRY.get((event_type, version))


def known_events() -> dict[tuple[str, int], type[Payload]]:
    return dict(_REGISTRY)


def payload_sha256(payload: Mapping[str, Any]) -> str:
    """sha256 (hex) of the payload in canonical JSON (sorted keys): what a signature binds the content to."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """The wire format of every event (ARCHITECTURE.md rule 3)."""

    model_config = ConfigDict(extra="ignore")
    event_id: uuid.UUID
    event_type: str
    version: int = 1
    occurred_at: AwareDatetime
    case_id: str
    producer: str
    correlation_id: str
    causation_id: str | None = None
    actor: Actor
    payload: dict[str, Any]
    key_id: str | None = Field(default=None, description="id of the producer's signing key")
    signature: str | None = Field(default=None, description="Ed25519 signature (caseflow_common.signing)")
    _typed: Payload | None = PrivateAttr(default=None)
    _typed_of: dict[str, Any] | None = PrivateAttr(default=None)
    _digest: str | None = PrivateAttr(default=None)
    _digest_of: dict[str, Any] | None = PrivateAttr(default=None)

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return v.astimezone(UTC)

    def typed(self) -> Payload:
        """The payload as its registered model (validated once, then cached); raises ``UnknownEvent`` or
        ``ValidationError``. The raw ``payload`` dict stays as it came, fields this build does not know included."""
        # The private attributes read and written in their dict: pydantic's attribute hooks for them cost more than
        # the check itself, and handlers call this several times per event.
        private = self.__pydantic_private__
        assert private is not None
        typed: Payload | None = private["_typed"]
        if typed is None or private["_typed_of"] is not self.payload:  # a copy with another payload validates anew
            model = payload_model(self.event_type, self.version)
            if model is None:
                raise UnknownEvent(f"unknown event {self.event_type} v{self.version}")
            typed = private["_typed"] = model.model_validate(self.payload)
            private["_typed_of"] = self.payload
        return typed

    def payload_sha256(self) -> str:
        """``payload_sha256`` of the payload as it is (what a signature binds the content to), computed once: the
        consumer's verification and audit's record both need it."""
        private = self.__pydantic_private__
        assert private is not None
        if private["_digest"] is None or private["_digest_of"] is not self.payload:
            private["_digest"], private["_digest_of"] = payload_sha256(self.payload), self.payload
        digest: str = private["_digest"]
        return digest

    def payload_as(self, model: type[P]) -> P:
        """The payload as ``model``, typed for the caller; a handler registered for ``model`` calls this."""
        typed = self.typed()
        if not isinstance(typed, model):
            raise UnknownEvent(f"{self.event_type} v{self.version} is not {model.__name__}")
        return typed

    def _with_typed(self, payload: Payload) -> Envelope:
        self._typed, self._typed_of = payload, self.payload
        return self

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()  # the same bytes as orjson over model_dump(mode="json"), faster

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        # pydantic's own JSON parser validates as it parses: a third less than orjson.loads and then validating
        # the dict, on every message every consumer reads. Bad JSON is a ValidationError like a bad field.
        return cls.model_validate_json(raw)


class UnknownEvent(ValueError):
    """An event type/version this build does not know (goes to the DLQ if a consumer subscribed to it)."""


def new_event(
    payload: Payload,
    *,
    case_id: str,
    producer: str,
    actor: Actor,
    occurred_at: datetime,
    correlation_id: str | None = None,
    causation: Envelope | None = None,
) -> Envelope:
    """Wrap a payload in a fresh envelope; correlation flows from the causing event when there is one."""
    corr = correlation_id or (causation.correlation_id if causation else None) or case_id
    return Envelope(
        event_id=uuid7(),
        event_type=payload.event_type,
        version=payload.version,
        occurred_at=occurred_at,
        case_id=case_id,
        producer=producer,
        correlation_id=corr,
        causation_id=str(causation.event_id) if causation else None,
        actor=actor,
        payload=payload.model_dump(mode="json"),
    )._with_typed(payload)


__all__ = [
    "Actor",
    "Envelope",
    "Payload",
    "SYSTEM",
    "UnknownEvent",
    "ValidationError",
    "known_events",
    "new_event",
    "payload_model",
    "register",
    "tolerant",
    "utcnow",
]
