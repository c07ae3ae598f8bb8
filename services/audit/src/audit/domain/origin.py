"""Proof of origin of a case's record entries (ARCHITECTURE rule 6a: the record shows who said what, not only in which
order; DOMAIN "The record": who did what and when).

Rules, per case, in seq order:
- An entry that carries a proof (key id, signature) holds when its producer's signature verifies over the event's
  identity rebuilt from the stored entry and the digest of the payload as it arrived, the key belongs to the entry's
  producer, and that producer publishes that event type. Otherwise the entry is reported with the reason.
- An entry with no proof at all was recorded before the record kept origin proofs: it is reported as
  "unsigned (before origin proofs)" and counted, and does not fail the case.
- Once a case's record holds a signed entry, a later entry without a proof fails: proofs do not stop, so an unsigned
  entry after a signed one is a removed proof, not an old entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

UNSIGNED_BEFORE_PROOFS = "unsigned (before origin proofs)"
UNSIGNED_AFTER_PROOFS = "unsigned, after the case's record began to keep origin proofs"


@dataclass(frozen=True, slots=True)
class EntryProof:
    """One entry as the origin check saw it: whether it carries a proof, and what is wrong with it (None: nothing)."""

    seq: int
    event_id: str
    has_proof: bool
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class OriginProblem:
    """An entry whose origin does not hold, and why."""

    seq: int
    event_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class OriginResult:
    """Outcome of checking the origin of one case's entries."""

    signed: int
    unsigned_before_proofs: int
    problems: tuple[OriginProblem, ...]
    unsigned_seqs: tuple[int, ...] = ()

    @property
    def valid(self) -> bool:
        """Every signed entry verifies and no proof is missing where one must be."""
        return not self.problems

    @property
    def first_bad_seq(self) -> int | None:
        """The first entry whose origin does not hold."""
        return min((p.seq for p in self.problems), default=None)


def judge_origin(proofs: Iterable[EntryProof]) -> OriginResult:
    """The origin verdict over one case's entries, given in seq order."""
    signed = 0
    legacy: list[int] = []
    problems: list[OriginProblem] = []
    seen_proof = False
    for p in proofs:
        if p.has_proof:
            seen_proof = True
            if p.problem is None:
                signed += 1
            else:
                problems.append(OriginProblem(p.seq, p.event_id, p.problem))
        elif seen_proof:
            problems.append(OriginProblem(p.seq, p.event_id, UNSIGNED_AFTER_PROOFS))
        else:
            legacy.append(p.seq)
    return OriginResult(signed, len(legacy), tuple(problems), tuple(legacy))
