"""Requester phone numbers (and names) at rest: encrypted with rotatable keys, matched through a keyed hash (GZ Art. 15; SZ Art. 18)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from intake.domain.phones import normalise_phone
from intake.domain.redaction import redact_personal

_MIN_HASH_KEY_BYTES = 16


class VaultError(Exception):
    """A token could not be read with any configured key (the message never carries the token)."""


def _as_bytes(key: bytes | str) -> bytes:
    return key.encode("ascii") if isinstance(key, str) else key


def generate_key() -> str:
    """A fresh encryption key in the form PhoneVault expects."""
    return Fernet.generate_key().decode("ascii")


class PhoneVault:
    """Encrypts and decrypts phone numbers (newest key first) and hashes them with a separate key for lookups."""

    __slots__ = ("_fernet", "_hash_key", "_key_count")

    def __init__(self, encryption_keys: bytes | str | Sequence[bytes | str], hash_key: bytes | str) -> None:
        keys = [encryption_keys] if isinstance(encryption_keys, (bytes, str)) else list(encryption_keys)
        if not keys:
            raise ValueError("PhoneVault needs at least one encryption key")
        try:
            self._fernet = MultiFernet([Fernet(_as_bytes(k)) for k in keys])
        except (ValueError, TypeError) as exc:
            # Never echo the key material.
            raise ValueError("encryption keys must be url-safe base64 encoded 32-byte keys") from exc
        hash_bytes = _as_bytes(hash_key)
        if len(hash_bytes) < _MIN_HASH_KEY_BYTES:
            raise ValueError(f"hash key must be at least {_MIN_HASH_KEY_BYTES} bytes")
        self._hash_key = hash_bytes
        self._key_count = len(keys)

    def __repr__(self) -> str:
        return f"PhoneVault(keys={self._key_count})"

    @staticmethod
    def _canonical(phone: str) -> str:
        # One number, one form: +86 138 1234 5678 and 13812345678 encrypt and hash as the same phone.
        return normalise_phone(phone) or phone.strip()

    def encrypt(self, phone: str) -> str:
        """A token of the canonical phone, encrypted with the newest key."""
        return self._fernet.encrypt(self._canonical(phone).encode("utf-8")).decode("ascii")

    def seal(self, text: str) -> str:
        """A token of any personal text (e.g. the requester's name), as it was given, with the newest key."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The phone (or sealed text) inside a token made with any configured key; VaultError otherwise."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise VaultError("phone token cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        """The same phone re-encrypted with the newest key (for re-keying stored rows)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as exc:
            raise VaultError("phone token cannot be rotated with the configured keys") from exc

    def phone_hash(self, phone: str) -> str:
        """HMAC-SHA256 hex of the canonical phone: stable across rotations, useless without the hash key."""
        return hmac.new(self._hash_key, self._canonical(phone).encode("utf-8"), hashlib.sha256).hexdigest()


def redact_and_seal(vault: PhoneVault, text: str, *, names: Iterable[str | None] = ()) -> tuple[str, str | None]:
    """What may leave intake of a free text (personal data redacted) and, when that changed it, the original sealed.

    Descriptions and visit comments are typed by people and carry numbers and names (GZ Art. 15; SZ Art. 19): the
    redacted text is stored, sent and shown; the original stays here, encrypted, for the hotline's own view.
    """
    redacted = redact_personal(text, names=[n for n in names if n])
    return redacted, (vault.seal(text) if redacted != text else None)
