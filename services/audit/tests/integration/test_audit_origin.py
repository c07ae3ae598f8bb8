"""Tamper evidence and proof of origin on the real broker and both databases: every entry keeps its producer's
signature, `/verify` and `python -m audit verify` name the entry whose chain or signature does not hold, and why."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from asyncio.subprocess import PIPE
from datetime import datetime, timedelta
from typing import Any

import pytest

from audit.context import verification_keys
from audit.domain.chain import ChainEntry, next_entry
from audit.handlers import record
from audit.origin import ENTRY_COLUMNS, check_origin
from audit.verify_cli import verify_everything
from caseflow_common.auth import Role
from caseflow_common.settings import TrustedKeySetting
from caseflow_common.signing import Signer, payload_digest
from caseflow_common.testing import TEST_SECRET, TEST_SIGNERS, TEST_TRUSTED_KEYS, auth_header

SUPERVISOR = auth_header(Role.SUPERVISOR)
NO_MATCH = "bad signature: signature does not match the envelope"


async def recorded_case(audit: Any, n: int = 6) -> tuple[str, list[dict[str, Any]]]:
    """A case whose first n events of a whole loop are recorded, and its entries."""
    case_id = audit.new_case()
    await audit.publish(*audit.whole_loop(case_id, audit.clock())[:n])
    return case_id, await audit.entries_of(case_id, n)


async def rechain(audit: Any, case_id: str, entries: list[dict[str, Any]], seq: int, **change: Any) -> None:
    """Change columns of entry `seq` and recompute every hash from there, as a tamperer who knows the chain would:
    the chain holds again, the producer's signature cannot be made again."""
    head: ChainEntry | None = None
    if seq > 1:  # next_entry reads only the seq and hash of the entry it extends
        head = ChainEntry(seq - 1, case_id, "", "", None, "", "", None, "", "", entries[seq - 2]["hash"])
    for e in entries[seq - 1 :]:
        fields = {**e, **(change if e["seq"] == seq else {})}
        fields["actor"] = audit.canonical_actor(fields["actor"])
        head = next_entry(
            head,
            case_id=case_id,
            event_id=fields["event_id"],
            event_type=fields["event_type"],
            step=fields["step"],
            actor=fields["actor"],
            at=datetime.fromisoformat(fields["at"]),
            decided_by=fields["decided_by"],
            payload=fields["payload"],
            key_id=fields["key_id"],
            signature=fields["signature"],
        )
        await audit.sql(
            "UPDATE record_entries SET event_type = :et, actor = :a, at = :at, prev_hash = :p, hash = :h "
            "WHERE case_id = :c AND seq = :s",
            et=head.event_type,
            a=head.actor,
            at=head.at,
            p=head.prev_hash,
            h=head.hash,
            c=case_id,
            s=head.seq,
        )
    assert head is not None
    await audit.sql("UPDATE record_heads SET head_hash = :h WHERE case_id = :c", h=head.hash, c=case_id)


async def test_each_entry_keeps_its_producers_key_signature_and_the_digest_of_the_payload_as_it_arrived(audit):
    case_id = audit.new_case()
    received = audit.whole_loop(case_id, audit.clock())[0]
    await audit.publish(received)
    entry = (await audit.entries_of(case_id, 1))[0]
    assert (entry["producer"], entry["key_id"], entry["signature"]) == ("intake", "intake-test", received.signature)
    # The digest is that of what intake signed, requester included; the record keeps no requester data.
    assert entry["signed_digest"] == payload_digest(received.payload) != payload_digest(entry["payload"])
    assert "requester" not in entry["payload"]
    verified = await audit.verify(case_id)
    assert verified["valid"] is True
    assert verified["origin"] == {"valid": True, "signed": 1, "unsigned_before_proofs": 0, "problems": []}


async def test_altering_a_stored_entry_is_reported_with_the_first_bad_seq_by_chain_and_signature(audit):
    case_id, _ = await recorded_case(audit)
    assert (await audit.verify(case_id))["valid"] is True
    await audit.sql(
        "UPDATE record_entries SET actor = :a WHERE case_id = :c AND seq = 4",
        a='{"id":"someone-else","role":"department","unit":"GZ-TH-CG"}',
        c=case_id,
    )
    verified = await audit.verify(case_id)
    assert (verified["valid"], verified["entries"], verified["first_bad_seq"]) == (False, 6, 4)
    assert verified["chain"] == {"valid": False, "first_bad_seq": 4}
    assert verified["origin"]["problems"] == [
        {"seq": 4, "event_id": (await audit.record(case_id))["entries"][3]["event_id"], "reason": NO_MATCH}
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"event_type": "CaseClosed"},
        {"actor": {"id": "someone-else", "role": "department", "unit": "GZ-TH-CG"}},
        {"at": "2026-01-01T00:00:00Z"},
    ],
    ids=["event_type", "actor", "at"],
)
async def test_an_entry_changed_and_rechained_in_the_database_holds_its_chain_but_not_its_signature(audit, change):
    case_id, entries = await recorded_case(audit)
    await rechain(audit, case_id, entries, 3, **change)
    verified = await audit.verify(case_id)
    assert verified["chain"] == {"valid": True, "first_bad_seq": None}
    assert (verified["valid"], verified["first_bad_seq"]) == (False, 3)
    assert verified["origin"]["problems"] == [{"seq": 3, "event_id": entries[2]["event_id"], "reason": NO_MATCH}]
    assert verified["origin"]["signed"] == 5


async def test_a_rewritten_whole_chain_passes_its_own_check_but_neither_its_signatures_nor_the_anchor(audit):
    case_id, entries = await recorded_case(audit, 2)
    assert (await audit.svc.client.post("/v1/anchors", headers=SUPERVISOR)).status_code == 201
    assert case_id not in (await audit.get("/v1/anchors/verify")).json()["changed_cases"]
    earlier = datetime.fromisoformat(entries[0]["at"]) - timedelta(days=1)
    await rechain(audit, case_id, entries, 1, at=earlier.isoformat())
    verified = await audit.verify(case_id)
    assert verified["chain"]["valid"] is True and verified["valid"] is False
    assert [p["seq"] for p in verified["origin"]["problems"]] == [1]
    after = (await audit.get("/v1/anchors/verify")).json()
    assert after["valid"] is False and case_id in after["changed_cases"]


async def test_a_removed_proof_breaks_the_chain_and_counts_as_unsigned_after_proofs_began(audit):
    case_id, entries = await recorded_case(audit, 4)
    await audit.sql(
        "UPDATE record_entries SET key_id = NULL, signature = NULL WHERE case_id = :c AND seq = 3", c=case_id
    )
    verified = await audit.verify(case_id)
    assert verified["chain"] == {"valid": False, "first_bad_seq": 3}
    assert verified["origin"]["problems"] == [
        {
            "seq": 3,
            "event_id": entries[2]["event_id"],
            "reason": "unsigned, after the case's record began to keep origin proofs",
        }
    ]


async def test_an_event_signed_with_another_producers_key_is_reported_as_a_producer_not_allowed(audit):
    # What a stolen intake key could sign: a dispatch step. The consumer refuses it (producer_not_allowed); written
    # into the record past the consumer, verify still names it.
    case_id = audit.new_case()
    received, dispatched = audit.whole_loop(case_id, audit.clock())[:2]
    await audit.publish(received)
    await audit.entries_of(case_id, 1)
    TEST_SIGNERS["intake"].sign(dispatched)
    async with audit.svc.runtime.uow() as uow:
        await record(dispatched, uow, audit.svc.runtime.context)
        await uow.commit()
    problems = (await audit.verify(case_id))["origin"]["problems"]
    assert problems == [
        {
            "seq": 2,
            "event_id": str(dispatched.event_id),
            "reason": "producer not allowed: key intake-test belongs to intake, the entry names dispatch",
        }
    ]


async def test_verifying_every_chain_names_each_broken_case_and_each_entry_whose_origin_does_not_hold(audit):
    broken, _ = await recorded_case(audit, 3)
    forged, entries = await recorded_case(audit, 3)
    await audit.sql("UPDATE record_entries SET payload = '{}' WHERE case_id = :c AND seq = 2", c=broken)
    await rechain(audit, forged, entries, 2, event_type="CaseClosed")
    report = await verify_everything(audit.svc.runtime.engine, audit.svc.runtime.keyring, batch=4)
    assert (broken, 2) in report.broken and (forged, 2, NO_MATCH) in report.origin_problems
    assert forged not in {case for case, _ in report.broken}
    assert report.valid is False and report.signed >= 5


async def test_the_verify_command_prints_the_entry_whose_signature_does_not_match_and_exits_1(audit):
    forged, entries = await recorded_case(audit, 3)
    await rechain(audit, forged, entries, 2, event_type="CaseClosed")
    env = {
        **os.environ,
        "CASEFLOW_ENV": "dev",
        "CASEFLOW_DATABASE_URL": str(audit.svc.runtime.settings.database_url),
        "CASEFLOW_AUTH_SECRET": TEST_SECRET,
        "CASEFLOW_TRUSTED_KEYS": json.dumps(TEST_TRUSTED_KEYS),
        "COLUMNS": "200",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "audit", "verify", env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 1, err.decode()
    assert f"origin case {forged} seq 2: {NO_MATCH}" in out.decode()
    assert "record NOT intact" in out.decode()


async def test_an_entry_signed_with_a_retired_key_verifies_once_that_key_is_listed_as_retired(audit):
    # An entry from before a key rotation: its key is no longer trusted for new events (so it is not in the trusted
    # keys), and verification still needs it: listed under retired_keys it verifies, unlisted it is named.
    old = Signer.generate("dispatch-2025")
    case_id = audit.new_case()
    received, dispatched = audit.whole_loop(case_id, audit.clock())[:2]
    await audit.publish(received)
    await audit.entries_of(case_id, 1)
    old.sign(dispatched)
    async with audit.svc.runtime.uow() as uow:
        await record(dispatched, uow, audit.svc.runtime.context)
        await uow.commit()
    problems = (await audit.verify(case_id))["origin"]["problems"]
    assert [(p["seq"], p["reason"]) for p in problems] == [(2, "bad signature: unknown key id 'dispatch-2025'")]
    settings = audit.svc.runtime.settings.model_copy(
        update={"retired_keys": {old.key_id: TrustedKeySetting(producer="dispatch", public_key=old.public_key())}}
    )
    async with audit.svc.runtime.uow() as uow:
        rows = await uow.records.chain(case_id, ENTRY_COLUMNS)
    result = check_origin(rows, verification_keys(settings))
    assert (result.valid, result.signed) == (True, 2)
