"""Checking each stored entry's proof of origin against the producers' public keys (the rules: domain/origin.py).

The signed identity is rebuilt from the stored entry alone (event id and type, case, actor, time, producer, version,
correlation and causation ids) with the digest of the payload as it arrived: audit never keeps the personal fields
the signature also covered, and needs not. Any change to a signed column shows as a signature that does not match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from audit.domain.origin import EntryProof, OriginResult, judge_origin
from audit.orm import entries
from audit.repository import CHAIN_COLUMNS
from caseflow_common.contracts import PRODUCER_TOPICS, event_types_on
from caseflow_common.events import Actor, Envelope
from caseflow_common.signing import BadSignature, Keyring

# The columns an origin check reads after the chain's (CHAIN_COLUMNS ends with key_id, signature).
ORIGIN_COLUMNS = [
    entries.c[name] for name in ("producer", "version", "correlation_id", "causation_id", "signed_digest")
]
ENTRY_COLUMNS = [*CHAIN_COLUMNS, *ORIGIN_COLUMNS]
_N_CHAIN = len(CHAIN_COLUMNS)

# Which event types each producer publishes (the topic it owns, by its contracts module).
_TYPES_OF: dict[str, frozenset[str]] = {
    module.rsplit(".", 1)[-1]: event_types_on(topic) for module, topic in PRODUCER_TOPICS.items()
}


def _envelope(row: Sequence[Any]) -> Envelope:
    _, case_id, event_id, event_type, _, actor, at, *_ = row
    key_id, signature = row[_N_CHAIN - 2], row[_N_CHAIN - 1]
    producer, version, correlation_id, causation_id, _ = row[_N_CHAIN:]
    who = orjson.loads(actor)
    occurred = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    # Constructed, not validated: the check is on the bytes the signature covers, whatever the columns hold now.
    return Envelope.model_construct(
        event_id=event_id,
        event_type=event_type,
        version=version,
        occurred_at=occurred,
        case_id=case_id,
        producer=producer,
        correlation_id=correlation_id,
        causation_id=causation_id,
        actor=Actor.model_construct(role=who.get("role"), id=who.get("id"), unit=who.get("unit")),
        payload={},
        key_id=key_id,
        signature=signature,
    )


def proof_problem(row: Sequence[Any], keyring: Keyring) -> str | None:
    """What is wrong with a signed entry's proof (None when it holds); ``row`` in ENTRY_COLUMNS order."""
    try:
        env = _envelope(row)
        producer = keyring.producer_of(env, digest=row[-1])
    except BadSignature as exc:
        return f"bad signature: {exc}"
    except (ValueError, TypeError, AttributeError, orjson.JSONDecodeError):
        return "bad signature: the entry's signed identity cannot be read"
    if producer != env.producer:
        return f"producer not allowed: key {env.key_id} belongs to {producer}, the entry names {env.producer}"
    if env.event_type not in _TYPES_OF.get(producer, frozenset()):
        return f"producer not allowed: {producer} does not publish {env.event_type}"
    return None


def check_origin(rows: Iterable[Sequence[Any]], keyring: Keyring) -> OriginResult:
    """The origin verdict over one case's entries (ENTRY_COLUMNS rows in seq order)."""
    proofs = []
    for row in rows:
        has_proof = row[_N_CHAIN - 2] is not None or row[_N_CHAIN - 1] is not None
        proofs.append(EntryProof(row[0], str(row[2]), has_proof, proof_problem(row, keyring) if has_proof else None))
    return judge_origin(proofs)


def origin_view(result: OriginResult) -> dict[str, Any]:
    """The API shape of an origin verdict."""
    return {
        "valid": result.valid,
        "signed": result.signed,
        "unsigned_before_proofs": result.unsigned_before_proofs,
        "problems": [{"seq": p.seq, "event_id": p.event_id, "reason": p.reason} for p in result.problems],
    }
