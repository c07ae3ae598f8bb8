"""Anchors: periodic digests over every case chain's head, themselves chained.

A chain alone cannot show that its tail was cut off; an anchor records each case's head
(hash and last seq) at a moment, so a later check can ask: does the entry at that seq
still carry that hash? The anchor records link to each other like chain entries do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from audit.domain.chain import GENESIS_HASH, at_text


@dataclass(frozen=True, slots=True)
class CaseHead:
    """A case chain's head at anchoring time."""

    case_id: str
    head_hash: str
    last_seq: int


@dataclass(frozen=True, slots=True)
class Anchor:
    """A periodic anchor: digest of all case heads, linked to the previous anchor."""

    anchor_id: int
    at: str
    cases: int
    heads_hash: str
    prev_anchor_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    """Outcome of checking an anchor against today's chains; `changed` lists cases whose anchored head moved."""

    valid: bool
    changed: tuple[str, ...]


def anchor_hash(case_heads: Iterable[tuple[str, str, int] | CaseHead]) -> str:
    """sha256 over the heads sorted by case_id, one compact JSON line [case_id, last_seq, head_hash] each."""
    rows = sorted(
        (h.case_id, h.last_seq, h.head_hash) if isinstance(h, CaseHead) else (h[0], h[2], h[1]) for h in case_heads
    )
    digest = hashlib.sha256()
    for case_id, last_seq, head_hash in rows:
        # One JSON array per line keeps the encoding unambiguous whatever a case id contains.
        digest.update(orjson.dumps([case_id, last_seq, head_hash]))
        digest.update(b"\n")
    return digest.hexdigest()


def _anchor_record_hash(prev_anchor_hash: str, anchor_id: int, at: str, cases: int, heads_hash: str) -> str:
    body = orjson.dumps(
        {"anchor_id": anchor_id, "at": at, "cases": cases, "heads_hash": heads_hash}, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(prev_anchor_hash.encode() + body).hexdigest()


def make_anchor(anchor_id: int, at: datetime | str, case_heads: Sequence[CaseHead], previous: Anchor | None) -> Anchor:
    """The anchor over these heads, chained to the previous anchor (None for the first)."""
    prev = GENESIS_HASH if previous is None else previous.hash
    at_s = at_text(at)
    heads = anchor_hash(case_heads)
    record_hash = _anchor_record_hash(prev, anchor_id, at_s, len(case_heads), heads)
    return Anchor(anchor_id, at_s, len(case_heads), heads, prev, record_hash)


def verify_anchors(anchors: Iterable[Anchor]) -> tuple[bool, int | None]:
    """Verify the anchor chain in order; returns (valid, first bad anchor_id or None)."""
    prev = GENESIS_HASH
    for a in anchors:
        if a.prev_anchor_hash != prev or _anchor_record_hash(prev, a.anchor_id, a.at, a.cases, a.heads_hash) != a.hash:
            return False, a.anchor_id
        prev = a.hash
    return True, None


def check_anchor(
    anchor: Anchor, anchored: Sequence[CaseHead], current_hash_at: Mapping[str, str | None]
) -> AnchorCheck:
    """Check stored anchor heads against the anchor and against the chains now.

    `anchored` are the stored head rows of the anchor; `current_hash_at` maps case_id to the
    hash the chain carries today at the anchored last_seq (None when that entry is gone).
    """
    changed = tuple(sorted(h.case_id for h in anchored if current_hash_at.get(h.case_id) != h.head_hash))
    heads_intact = len(anchored) == anchor.cases and anchor_hash(anchored) == anchor.heads_hash
    return AnchorCheck(heads_intact and not changed, changed)
