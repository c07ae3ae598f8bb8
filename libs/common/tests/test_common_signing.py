"""Events prove their origin: a producer's signature covers the envelope's identity and its payload."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from caseflow_common.contracts.intake import CaseReopened
from caseflow_common.events import Actor, Envelope, new_event
from caseflow_common.signing import BadSignature, Keyring, Signer

AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
INTAKE = Signer.generate("intake-1")
DISPATCH = Signer.generate("dispatch-1")
KEYRING = Keyring.from_public(
    {"intake-1": ("intake", INTAKE.public_key()), "dispatch-1": ("dispatch", DISPATCH.public_key())}
)


def reopened(**changes: object) -> Envelope:
    env = new_event(
        CaseReopened(reason="dissatisfied", cycle=2),
        case_id="C-1",
        producer="intake",
        actor=Actor(role="hotline", id="op-1"),
        occurred_at=AT,
    )
    return env.model_copy(update=changes) if changes else env


def wire(env: Envelope) -> Envelope:
    return Envelope.from_bytes(env.to_bytes())


def test_a_signed_event_verifies_as_its_producer_after_the_wire():
    assert KEYRING.producer_of(wire(INTAKE.sign(reopened()))) == "intake"


def test_the_signature_survives_key_order_and_a_field_the_reader_does_not_know():
    env = INTAKE.sign(reopened())
    raw = env.model_dump(mode="json")
    raw["payload"] = {"unit": None, "newer_field": 1, **raw["payload"]}
    raw["payload"].pop("newer_field")  # a reader drops nothing from the raw payload dict: digest stays the same
    assert KEYRING.producer_of(Envelope.model_validate(raw)) == "intake"


@pytest.mark.parametrize(
    "tamper",
    [
        {"event_id": uuid.uuid4()},  # replayed under a new id
        {"case_id": "C-2"},
        {"producer": "dispatch"},
        {"actor": Actor(role="department", id="x", unit="GZ-TH-CG")},
        {"payload": {"reason": "satisfied", "cycle": 2, "unit": None}},
    ],
    ids=["new-event-id", "other-case", "other-producer", "other-actor", "other-payload"],
)
def test_any_change_after_signing_breaks_the_signature(tamper):
    env = INTAKE.sign(reopened()).model_copy(update=tamper)
    with pytest.raises(BadSignature, match="does not match"):
        KEYRING.producer_of(wire(env))


def test_unsigned_and_unknown_key_events_are_refused():
    with pytest.raises(BadSignature, match="unsigned"):
        KEYRING.producer_of(reopened())
    with pytest.raises(BadSignature, match="unknown key id"):
        KEYRING.producer_of(Signer.generate("attacker-1").sign(reopened()))


def test_a_key_is_bound_to_one_producer():
    # dispatch's key signing an event that claims to come from intake verifies as dispatch's: the consumer compares.
    assert KEYRING.producer_of(DISPATCH.sign(reopened())) == "dispatch"


def test_a_signing_key_round_trips_through_its_secret():
    again = Signer.from_secret("intake-1", INTAKE.secret())
    assert KEYRING.producer_of(again.sign(reopened())) == "intake"
    with pytest.raises(ValueError, match="32-byte"):
        Signer.from_secret("x", "c2hvcnQ")
