"""Which entries' origin holds (domain/origin.py): signed ones that verify, old unsigned ones, never a removed proof."""

from __future__ import annotations

from audit.domain.origin import UNSIGNED_AFTER_PROOFS, EntryProof, OriginProblem, judge_origin


def test_a_record_whose_every_entry_verifies_is_valid() -> None:
    result = judge_origin([EntryProof(1, "a", True), EntryProof(2, "b", True)])
    assert (result.valid, result.signed, result.unsigned_before_proofs, result.first_bad_seq) == (True, 2, 0, None)


def test_entries_from_before_origin_proofs_are_counted_as_unsigned_and_do_not_fail() -> None:
    result = judge_origin([EntryProof(1, "a", False), EntryProof(2, "b", False), EntryProof(3, "c", True)])
    assert (result.valid, result.signed, result.unsigned_before_proofs, result.unsigned_seqs) == (True, 1, 2, (1, 2))


def test_an_unsigned_entry_after_a_signed_one_is_a_removed_proof() -> None:
    result = judge_origin([EntryProof(1, "a", True), EntryProof(2, "b", False), EntryProof(3, "c", True)])
    assert result.problems == (OriginProblem(2, "b", UNSIGNED_AFTER_PROOFS),) and result.first_bad_seq == 2


def test_a_signature_that_does_not_hold_is_reported_with_its_reason() -> None:
    result = judge_origin([EntryProof(1, "a", True), EntryProof(2, "b", True, "bad signature: no match")])
    assert not result.valid and result.problems == (OriginProblem(2, "b", "bad signature: no match"),)
    assert result.signed == 1
