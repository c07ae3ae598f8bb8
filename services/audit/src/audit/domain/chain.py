"""The tamper-evident hash chain of one case's record.

Each entry's hash is sha256(prev_hash + canonical bytes), where the canonical bytes are the
sorted-key compact JSON (orjson, UTF-8) of the entry's columns; the payload enters as its
sha256 digest. An entry that carries its producer's proof of origin (key_id, signature; ARCHITECTURE
rule 6a) has both in its canonical bytes too, so removing or swapping a proof breaks the chain at that
entry; entries recorded before origin proofs have neither key and hash as they always did. Verification always recomputes the canonical bytes from the stored columns,
so a change to any column of any entry (actor, at, step, payload, seq, prev_hash, hash) is
seen at that entry. Truncating a chain's tail leaves a valid shorter chain: anchors
(`anchor.py`) catch that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

GENESIS_HASH = "0" * 64

_SORT = orjson.OPT_SORT_KEYS
# Times enter the canonical bytes as orjson renders them: a stored text `at` must equal `at_text(datetime)`.
_AT = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
_sha256 = hashlib.sha256
_dumps = orjson.dumps


class ChainEntry(NamedTuple):
    """One stored record entry, in the column order the verifier reads."""

    seq: int
    case_id: str
    event_id: str
    event_type: str
    step: str | None
    actor: str
    at: datetime | str
    decided_by: str | None
    payload: str | Mapping[str, Any]
    prev_hash: str
    hash: str
    key_id: str | None = None
    signature: str | None = None


COLUMNS: tuple[str, ...] = ChainEntry._fields


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of verifying one chain: first_bad_seq is the position (1-based) of the first bad entry."""

    valid: bool
    entries: int
    first_bad_seq: int | None
    head_hash: str | None = None


def utc(at: datetime) -> datetime:
    """The time in UTC; naive times are taken as UTC (SQLite hands them back for UTC-stored columns)."""
    if at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def at_text(at: datetime | str) -> str:
    """The canonical text of a time: RFC 3339 in UTC with a Z, microseconds only when non-zero (orjson's form)."""
    if isinstance(at, str):
        return at
    return _dumps(utc(at), option=_AT)[1:-1].decode()


def canonical_payload(payload: str | Mapping[str, Any]) -> bytes:
    """The payload as stored and digested: sorted-key compact JSON (stored text is used as is)."""
    if isinstance(payload, str):
        return payload.encode()
    return _dumps(payload, option=_SORT)


def payload_digest(payload: str | Mapping[str, Any]) -> str:
    """sha256 hex digest of the canonical payload."""
    return _sha256(canonical_payload(payload)).hexdigest()


def canonical(entry_fields: Mapping[str, Any]) -> bytes:
    """Canonical bytes of an entry: sorted-key compact JSON of its columns with the payload digested."""
    digest = entry_fields.get("payload_digest")
    if digest is None:
        digest = payload_digest(entry_fields["payload"])
    return _canon(
        entry_fields["seq"],
        entry_fields["case_id"],
        entry_fields["event_id"],
        entry_fields["event_type"],
        entry_fields.get("step"),
        entry_fields["actor"],
        entry_fields["at"] if isinstance(entry_fields["at"], str) else utc(entry_fields["at"]),
        entry_fields.get("decided_by"),
        digest,
        entry_fields.get("key_id"),
        entry_fields.get("signature"),
    )


def _canon(
    seq: int,
    case_id: Any,
    event_id: Any,
    event_type: str,
    step: Any,
    actor: Any,
    at: str | datetime,
    decided_by: Any,
    digest: str,
    key_id: Any = None,
    signature: Any = None,
) -> bytes:
    # Keys are inserted in sorted order, so orjson's insertion order is already the sorted-key form
    # (equal to OPT_SORT_KEYS output, asserted by a test) without paying for the sort. A datetime
    # is rendered by orjson itself: the same bytes as its `at_text`, far cheaper than isoformat().
    if key_id is not None or signature is not None:
        return _dumps(
            {
                "actor": actor,
                "at": at,
                "case_id": case_id,
                "decided_by": decided_by,
                "event_id": event_id,
                "event_type": event_type,
                "key_id": key_id,
                "payload_digest": digest,
                "seq": seq,
                "signature": signature,
                "step": step,
            },
            option=_AT,
        )
    return _dumps(
        {
            "actor": actor,
            "at": at,
            "case_id": case_id,
            "decided_by": decided_by,
            "event_id": event_id,
            "event_type": event_type,
            "payload_digest": digest,
            "seq": seq,
            "step": step,
        },
        option=_AT,
    )


def compute_hash(prev_hash: str, entry_fields: Mapping[str, Any]) -> str:
    """The entry hash: sha256(prev_hash + canonical bytes), hex."""
    return _sha256(prev_hash.encode() + canonical(entry_fields)).hexdigest()


def next_entry(
    head: ChainEntry | None,
    *,
    case_id: str,
    event_id: str,
    event_type: str,
    step: str | None,
    actor: str,
    at: datetime,
    decided_by: str | None,
    payload: Mapping[str, Any],
    key_id: str | None = None,
    signature: str | None = None,
) -> ChainEntry:
    """The entry that extends a chain whose last entry is `head` (None for a new chain); key_id and signature are the
    producer's proof of origin, when the event carried one."""
    seq = 1 if head is None else head.seq + 1
    prev = GENESIS_HASH if head is None else head.hash
    event_text, step_text, at_s = str(event_id), None if step is None else str(step), at_text(at)
    text = canonical_payload(payload).decode()
    fields: dict[str, Any] = {
        "seq": seq,
        "case_id": case_id,
        "event_id": event_text,
        "event_type": event_type,
        "step": step_text,
        "actor": actor,
        "at": at_s,
        "decided_by": decided_by,
        "payload": text,
        "key_id": key_id,
        "signature": signature,
    }
    digest = compute_hash(prev, fields)
    return ChainEntry(
        seq, case_id, event_text, event_type, step_text, actor, at_s, decided_by, text, prev, digest, key_id, signature
    )


def verify_chain(entries: Iterable[Sequence[Any]]) -> VerifyResult:
    """Verify one case's entries in seq order: seq runs 1..n, each links to the previous hash, each hash recomputes.

    Rows are in COLUMNS order; a row of the 11 columns before the proof of origin reads as an entry without one."""
    expected_prev = GENESIS_HASH
    n = 0
    it = iter(entries)
    # The hot loop of `python -m audit verify`: _canon inlined, names bound locally (same bytes as `canonical`).
    sha, dumps, at_opt, sort_opt, utc_zone = _sha256, _dumps, _AT, _SORT, UTC
    for row in it:
        if len(row) > 11:
            seq, case_id, event_id, event_type, step, actor, at, decided_by, payload, prev_hash, stored = row[:11]
            key_id, signature = row[11], row[12]
        else:
            seq, case_id, event_id, event_type, step, actor, at, decided_by, payload, prev_hash, stored = row
            key_id = signature = None
        n += 1
        if seq != n or prev_hash != expected_prev:
            return _bad(n, it)
        if at.__class__ is not str and at.tzinfo is not utc_zone:
            at = utc(at)
        body = payload.encode() if payload.__class__ is str else dumps(payload, option=sort_opt)
        digest = sha(body).hexdigest()
        if key_id is None and signature is None:
            fields = {
                "actor": actor,
                "at": at,
                "case_id": case_id,
                "decided_by": decided_by,
                "event_id": event_id,
                "event_type": event_type,
                "payload_digest": digest,
                "seq": seq,
                "step": step,
            }
        else:
            fields = {
                "actor": actor,
                "at": at,
                "case_id": case_id,
                "decided_by": decided_by,
                "event_id": event_id,
                "event_type": event_type,
                "key_id": key_id,
                "payload_digest": digest,
                "seq": seq,
                "signature": signature,
                "step": step,
            }
        data = dumps(fields, option=at_opt)
        if sha(prev_hash.encode() + data).hexdigest() != stored:
            return _bad(n, it)
        expected_prev = stored
    return VerifyResult(True, n, None, None if n == 0 else expected_prev)


def _bad(position: int, rest: Iterable[Any]) -> VerifyResult:
    # Keep counting so `entries` is the chain's length, not where verification stopped.
    return VerifyResult(False, position + sum(1 for _ in rest), position)


def entry_from_mapping(row: Mapping[str, Any]) -> ChainEntry:
    """A ChainEntry from a column mapping (dict rows)."""
    return ChainEntry(*(row[c] for c in COLUMNS))
