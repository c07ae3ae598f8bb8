"""The per-case hash chain: round trip, tampering seen at the exact entry, anchors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.domain.anchor import CaseHead, anchor_hash, check_anchor, make_anchor, verify_anchors
from audit.domain.chain import (
    GENESIS_HASH,
    ChainEntry,
    at_text,
    canonical,
    compute_hash,
    entry_from_mapping,
    next_entry,
    verify_chain,
)
from audit.domain.steps import step_for

T0 = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
EVENTS = ["CaseReceived", "CaseDispatched", "CaseAccepted", "CaseReplied", "CaseClosed", "VisitRecorded"]


def make_chain(n: int, case_id: str = "case-1") -> list[ChainEntry]:
    head = None
    out = []
    for i in range(n):
        et = EVENTS[i % len(EVENTS)]
        head = next_entry(
            head,
            case_id=case_id,
            event_id=f"ev-{i}",
            event_type=et,
            step=step_for(et),
            actor=f"department:u-{i}@GZ-TH-CG",
            at=T0 + timedelta(minutes=i),
            decided_by="routing:v3" if et == "CaseDispatched" else None,
            payload={"n": i, "note": "处理中"},
        )
        out.append(head)
    return out


def tamper(entry: ChainEntry, column: str) -> ChainEntry:
    """Change one stored column of an entry to a different value."""
    if column == "actor":
        return entry._replace(actor=entry.actor + "x")
    if column == "at":
        return entry._replace(at=at_text(datetime.fromisoformat(entry.at) + timedelta(seconds=1)))
    if column == "step":
        return entry._replace(step="督办" if entry.step != "督办" else "办结")
    if column == "payload":
        body = orjson.loads(entry.payload)
        body["~tamper"] = body.get("~tamper", 0) + 1
        return entry._replace(payload=orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode())
    if column == "seq":
        return entry._replace(seq=entry.seq + 1)
    if column == "prev_hash":
        return entry._replace(prev_hash="f" * 64)
    if column == "hash":
        return entry._replace(hash="e" * 64)
    if column == "event_type":
        return entry._replace(event_type=entry.event_type + "X")
    if column == "decided_by":
        return entry._replace(decided_by="routing:v999")
    if column == "case_id":
        return entry._replace(case_id="case-other")
    if column == "event_id":
        return entry._replace(event_id=entry.event_id + "0")
    raise AssertionError(column)


COLUMNS = [
    "actor",
    "at",
    "step",
    "payload",
    "seq",
    "prev_hash",
    "hash",
    "event_type",
    "decided_by",
    "case_id",
    "event_id",
]


def test_a_freshly_built_chain_verifies() -> None:
    chain = make_chain(12)
    result = verify_chain(chain)
    assert (result.valid, result.entries, result.first_bad_seq) == (True, 12, None)
    assert result.head_hash == chain[-1].hash
    assert chain[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(chain, chain[1:], strict=False))


def test_an_empty_record_is_valid_with_no_entries() -> None:
    assert verify_chain([]) == verify_chain(iter(()))
    assert (verify_chain([]).valid, verify_chain([]).entries, verify_chain([]).first_bad_seq) == (True, 0, None)


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("k", [1, 4, 8])
def test_changing_any_column_of_an_entry_is_reported_at_that_entry(column: str, k: int) -> None:
    chain = make_chain(8)
    chain[k - 1] = tamper(chain[k - 1], column)
    result = verify_chain(chain)
    assert (result.valid, result.entries, result.first_bad_seq) == (False, 8, k)


def test_swapping_two_entries_is_reported_at_the_first_swapped_position() -> None:
    chain = make_chain(6)
    chain[2], chain[3] = chain[3], chain[2]
    assert verify_chain(chain).first_bad_seq == 3


def test_swapping_the_seq_numbers_of_two_rows_is_reported() -> None:
    chain = make_chain(6)
    a, b = chain[2], chain[3]
    # The rows come back ordered by seq, so the swapped rows also swap places.
    chain[2], chain[3] = b._replace(seq=3), a._replace(seq=4)
    assert verify_chain(chain).first_bad_seq == 3


def test_a_missing_entry_in_the_middle_is_reported_where_the_gap_is() -> None:
    chain = make_chain(6)
    del chain[3]
    result = verify_chain(chain)
    assert (result.valid, result.entries, result.first_bad_seq) == (False, 5, 4)


def test_rows_with_datetime_or_text_times_and_dict_or_text_payloads_verify_alike() -> None:
    chain = make_chain(5)
    as_db_rows = [
        e._replace(
            at=datetime.fromisoformat(e.at).replace(tzinfo=None),  # SQLite: naive UTC
            payload=orjson.loads(e.payload),  # a JSON column: a dict
        )
        for e in chain
    ]
    assert verify_chain(as_db_rows).valid
    shanghai = timezone(timedelta(hours=8))
    assert verify_chain([e._replace(at=datetime.fromisoformat(e.at).astimezone(shanghai)) for e in chain]).valid


def test_dict_rows_verify_once_put_in_column_order() -> None:
    chain = make_chain(3)
    assert verify_chain([entry_from_mapping(e._asdict()) for e in chain]).valid


def test_the_canonical_form_is_sorted_key_compact_json_with_a_payload_digest() -> None:
    e = make_chain(2)[1]
    fields = e._asdict()
    body = canonical(fields)
    decoded = orjson.loads(body)
    assert list(decoded) == sorted(decoded)
    assert body == orjson.dumps(decoded, option=orjson.OPT_SORT_KEYS)
    assert set(decoded) == {
        "seq",
        "case_id",
        "event_id",
        "event_type",
        "step",
        "actor",
        "at",
        "decided_by",
        "payload_digest",
    }
    assert decoded["at"] == "2024-05-01T01:01:00Z"
    assert compute_hash(e.prev_hash, fields) == e.hash


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=25),
    data=st.data(),
    actors=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4),
)
def test_tampering_entry_k_of_a_random_chain_reports_exactly_k(n: int, data: st.DataObject, actors: list[str]) -> None:
    head = None
    chain = []
    for i in range(n):
        head = next_entry(
            head,
            case_id="c",
            event_id=f"e{i}",
            event_type=EVENTS[i % len(EVENTS)],
            step=step_for(EVENTS[i % len(EVENTS)]),
            actor=actors[i % len(actors)],
            at=T0 + timedelta(seconds=data.draw(st.integers(0, 10**6))),
            decided_by=None,
            payload=data.draw(
                st.dictionaries(st.text(max_size=5), st.integers(-(2**53), 2**53) | st.text(max_size=5), max_size=3)
            ),
        )
        chain.append(head)
    assert verify_chain(chain).valid
    k = data.draw(st.integers(min_value=1, max_value=n))
    column = data.draw(st.sampled_from(COLUMNS))
    chain[k - 1] = tamper(chain[k - 1], column)
    assert verify_chain(chain).first_bad_seq == k


def test_an_anchor_notices_a_cut_off_tail_that_the_chain_alone_cannot() -> None:
    chain = make_chain(6, "case-a")
    other = make_chain(3, "case-b")
    heads = [CaseHead("case-a", chain[-1].hash, 6), CaseHead("case-b", other[-1].hash, 3)]
    anchor = make_anchor(1, T0, heads, None)

    cut = chain[:4]
    assert verify_chain(cut).valid  # a shorter chain is still a valid chain
    now = {"case-a": None, "case-b": other[2].hash}  # entry 6 of case-a is gone
    check = check_anchor(anchor, heads, now)
    assert (check.valid, check.changed) == (False, ("case-a",))
    assert check_anchor(anchor, heads, {"case-a": chain[5].hash, "case-b": other[2].hash}).valid


def test_anchors_chain_to_each_other_and_a_changed_anchor_is_named() -> None:
    heads = [CaseHead("a", "1" * 64, 2)]
    first = make_anchor(1, T0, heads, None)
    second = make_anchor(2, T0 + timedelta(hours=1), heads + [CaseHead("b", "2" * 64, 1)], first)
    third = make_anchor(3, T0 + timedelta(hours=2), heads, second)
    assert verify_anchors([first, second, third]) == (True, None)
    forged = type(second)(2, second.at, second.cases, anchor_hash(heads), second.prev_anchor_hash, second.hash)
    assert verify_anchors([first, forged, third]) == (False, 2)


def test_the_heads_digest_ignores_input_order_and_accepts_tuples() -> None:
    heads = [("b", "2" * 64, 1), ("a", "1" * 64, 2)]
    assert anchor_hash(heads) == anchor_hash([CaseHead("a", "1" * 64, 2), CaseHead("b", "2" * 64, 1)])
    assert anchor_hash(heads) != anchor_hash([("a", "1" * 64, 3), ("b", "2" * 64, 1)])


def signed_chain(n: int) -> list[ChainEntry]:
    head = None
    out = []
    for i in range(n):
        head = next_entry(
            head,
            case_id="case-s",
            event_id=f"ev-{i}",
            event_type=EVENTS[i % len(EVENTS)],
            step=None,
            actor="{}",
            at=T0 + timedelta(minutes=i),
            decided_by=None,
            payload={"n": i},
            key_id="dispatch-1",
            signature=f"sig-{i}",
        )
        out.append(head)
    return out


def test_an_entry_with_a_proof_of_origin_hashes_its_key_id_and_signature_in_the_sorted_canonical_form() -> None:
    e = signed_chain(2)[1]
    body = canonical(e._asdict())
    decoded = orjson.loads(body)
    assert body == orjson.dumps(decoded, option=orjson.OPT_SORT_KEYS)
    assert (decoded["key_id"], decoded["signature"]) == ("dispatch-1", "sig-1")
    assert compute_hash(e.prev_hash, e._asdict()) == e.hash
    assert verify_chain(signed_chain(5)).valid


@pytest.mark.parametrize("change", [{"signature": None, "key_id": None}, {"signature": "sig-0"}, {"key_id": "x"}])
def test_removing_or_swapping_a_proof_of_origin_is_seen_at_that_entry(change: dict) -> None:
    chain = signed_chain(5)
    chain[2] = chain[2]._replace(**change)
    assert verify_chain(chain).first_bad_seq == 3


def test_rows_without_the_proof_columns_verify_as_entries_without_a_proof() -> None:
    chain = make_chain(4)
    assert verify_chain([tuple(e)[:11] for e in chain]).valid
