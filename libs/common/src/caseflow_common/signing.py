"""Events prove their origin (ARCHITECTURE.md rule 6a): each producer signs its envelopes with its own Ed25519 key.

What is signed is the envelope's identity and the digest of its payload, in a canonical form:

    {"actor": {"id", "role", "unit"}, "case_id", "causation_id", "correlation_id", "event_id", "event_type",
     "occurred_at", "payload_sha256", "producer", "version"}      (JSON, sorted keys, no spaces)

so a consumer verifies the exact event it parsed, and audit — which strips personal data from what it keeps — can
still prove an entry's origin later from the payload digest it stored beside the signature. Keys have ids
(``intake-2026-12``) so they rotate: a consumer trusts every key id it is given, each bound to one producer.

Ed25519 is libsodium's (PyNaCl's bindings): a verification costs half of what OpenSSL's takes through
``cryptography`` (bench/signing.py), and every consumer verifies every event it reads. Signatures are the same bytes
either way (Ed25519 is deterministic), keys the same 32-byte seeds and public keys.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC

import orjson
from nacl.bindings import crypto_sign, crypto_sign_keypair, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import CryptoError

from caseflow_common.events import Envelope, payload_sha256

# sha256 (hex) of the payload in canonical JSON (sorted keys): what the signature binds the content to; an envelope
# keeps its own (Envelope.payload_sha256).
payload_digest = payload_sha256


def signed_bytes(env: Envelope, digest: str | None = None) -> bytes:
    """The canonical bytes an envelope's signature covers."""
    return orjson.dumps(
        {
            "actor": {"id": env.actor.id, "role": env.actor.role, "unit": env.actor.unit},
            "case_id": env.case_id,
            "causation_id": env.causation_id,
            "correlation_id": env.correlation_id,
            "event_id": str(env.event_id),
            "event_type": env.event_type,
            "occurred_at": env.occurred_at.astimezone(UTC).isoformat(),
            "payload_sha256": digest if digest is not None else env.payload_sha256(),
            "producer": env.producer,
            "version": env.version,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_bytes(text: str, refused: str) -> bytes:
    """A 32-byte key (a seed or a public key) given in base64, url-safe or standard; ``refused``: the error's text."""
    raw = _unb64(text.strip().replace("+", "-").replace("/", "_"))
    if len(raw) != 32:
        raise ValueError(refused)
    return raw


SIGNATURE_BYTES, SEED_BYTES = 64, 32


@dataclass(frozen=True)
class Signer:
    """A producer's signing key and its id (``secret_key``: libsodium's 64 bytes, the seed then the public key)."""

    key_id: str
    secret_key: bytes = field(repr=False)

    @classmethod
    def from_secret(cls, key_id: str, secret: str) -> Signer:
        """``secret``: the 32-byte Ed25519 seed, base64 (url-safe or standard)."""
        seed = _key_bytes(secret, "a signing key is the 32-byte Ed25519 seed, base64-encoded")
        return cls(key_id, crypto_sign_seed_keypair(seed)[1])

    @classmethod
    def generate(cls, key_id: str) -> Signer:
        return cls(key_id, crypto_sign_keypair()[1])

    def secret(self) -> str:
        return _b64(self.secret_key[:SEED_BYTES])

    def public_bytes(self) -> bytes:
        return self.secret_key[SEED_BYTES:]

    def public_key(self) -> str:
        return _b64(self.public_bytes())

    def sign_bytes(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data``."""
        return crypto_sign(data, self.secret_key)[:SIGNATURE_BYTES]

    def sign(self, env: Envelope) -> Envelope:
        """The envelope with its signature and key id set (in place, returned for chaining)."""
        env.key_id = self.key_id
        env.signature = _b64(self.sign_bytes(signed_bytes(env)))
        return env


def generate_keys(producers: tuple[str, ...], *, suffix: str) -> dict[str, Signer]:
    """A fresh signing key per producer (``<producer>-<suffix>`` ids): the embedded default, tests and benchmarks."""
    return {name: Signer.generate(f"{name}-{suffix}") for name in producers}


def trusted_entries(signers: Mapping[str, Signer]) -> dict[str, dict[str, str]]:
    """The ``trusted_keys`` setting that trusts every one of ``signers`` for its producer."""
    return {s.key_id: {"producer": name, "public_key": s.public_key()} for name, s in signers.items()}


@dataclass(frozen=True)
class TrustedKey:
    producer: str
    key: bytes  # the raw 32-byte Ed25519 public key

    def verifies(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is this key's signature of ``data``."""
        if len(signature) != SIGNATURE_BYTES:
            return False
        try:
            crypto_sign_open(signature + data, self.key)
        except (CryptoError, ValueError, TypeError):  # BadSignatureError is a CryptoError
            return False
        return True


class BadSignature(Exception):
    """The envelope is unsigned, signed with a key nobody trusts, or its signature does not match."""


class Keyring:
    """The public keys a consumer trusts, by key id, each bound to the producer that holds its private half."""

    def __init__(self, keys: Mapping[str, TrustedKey]) -> None:
        self.keys = dict(keys)

    @classmethod
    def from_public(cls, entries: Mapping[str, tuple[str, str]]) -> Keyring:
        """``{key_id: (producer, base64 public key)}``."""
        return cls(
            {
                key_id: TrustedKey(
                    producer, _key_bytes(public, "a public key is the 32-byte Ed25519 public key, base64-encoded")
                )
                for key_id, (producer, public) in entries.items()
            }
        )

    def producer_of(self, env: Envelope, digest: str | None = None) -> str:
        """Verify ``env``'s signature; returns the producer its key belongs to. Raises ``BadSignature``."""
        if not env.signature or not env.key_id:
            raise BadSignature("unsigned envelope")
        trusted = self.keys.get(env.key_id)
        if trusted is None:
            raise BadSignature(f"unknown key id {env.key_id!r}")
        try:
            signature = _unb64(env.signature)
        except ValueError as exc:
            raise BadSignature("signature is not base64") from exc
        if not trusted.verifies(signature, signed_bytes(env, digest)):
            raise BadSignature("signature does not match the envelope")
        return trusted.producer
