"""A record kept before origin proofs and per-cycle evaluations, upgraded by migration 0003 (both databases): its old
entries verify as unsigned without failing, the case goes on signed, and its old evaluation still counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
from alembic import command
from sqlalchemy import MetaData, Table, insert
from sqlalchemy.engine import Connection

import audit as audit_package
from audit.domain.chain import next_entry
from audit.orm import cases, entries, facts, heads
from caseflow_common import db
from caseflow_common.contracts.dispatch import CaseAccepted, CaseReplied
from caseflow_common.contracts.intake import CaseReopened, VisitRecorded

MIGRATIONS = Path(audit_package.__file__).parent / "migrations"
CST = timezone(timedelta(hours=8))
CASE, UNIT = "C-before-proofs", "U-OLD"
RECEIVED = datetime(2026, 9, 2, 9, tzinfo=CST)
SEPTEMBER = {"from": "2026-09-01", "to": "2026-10-01"}
RECEIVED_ID = "11111111-1111-4111-8111-111111111111"
ADDED_BY_0003 = {
    "record_entries": {"producer", "version", "correlation_id", "causation_id", "key_id", "signature", "signed_digest"},
    "case_facts": {"evaluations", "evaluations_satisfied", "unreached_visits"},
}


def as_in_0002(table: Table) -> Table:
    """The table with the columns revision 0002 built (same types, so values are stored as the service stores them)."""
    dropped = ADDED_BY_0003.get(table.name, set())
    return Table(table.name, MetaData(), *[c._copy() for c in table.columns if c.name not in dropped])


async def prepare_database(url: str) -> None:
    """The database as revision 0002 left it: two entries of a case, hashed without proofs, and its facts row with
    the one (dissatisfied) evaluation it kept."""
    engine = db.make_engine(url)

    def to_0002(sync_conn: Connection) -> None:
        cfg = db.alembic_config(MIGRATIONS, url)
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "0002")

    try:
        async with engine.begin() as conn:
            await conn.run_sync(to_0002)
            head = None
            for n, (event_type, step, event_id) in enumerate(
                [("CaseReceived", "受理", RECEIVED_ID), ("CaseDispatched", "派单", str(uuid.uuid4()))]
            ):
                head = next_entry(
                    head,
                    case_id=CASE,
                    event_id=event_id,
                    event_type=event_type,
                    step=step,
                    actor=orjson.dumps({"id": "caseflow", "role": "system", "unit": None}).decode(),
                    at=RECEIVED + timedelta(minutes=n),
                    decided_by=None,
                    payload={"unit": UNIT} if n else {"category": "env.noise"},
                )
                row = {k: v for k, v in head._asdict().items() if k not in ("key_id", "signature")}
                await conn.execute(
                    insert(as_in_0002(entries)).values(**row, recorded_at=datetime.now(UTC), cause_missing=False)
                )
            assert head is not None
            await conn.execute(insert(heads).values(case_id=CASE, last_seq=2, head_hash=head.hash, anchored_seq=None))
            await conn.execute(insert(cases).values(case_id=CASE, district="440106", received_at=RECEIVED))
            answered = RECEIVED + timedelta(days=1)
            await conn.execute(
                insert(as_in_0002(facts)).values(
                    case_id=CASE,
                    unit=UNIT,
                    district="440106",
                    received_at=RECEIVED,
                    dispatched_at=RECEIVED,
                    replied_at=answered,
                    closed_at=answered,
                    resolved=True,
                    satisfaction="dissatisfied",
                    **{c.name: 0 for c in facts.columns if c.name.startswith("actions_")},
                )
            )
    finally:
        await engine.dispose()


async def test_entries_from_before_origin_proofs_verify_as_unsigned_and_the_case_goes_on_signed(audit):
    assert (await audit.verify(CASE))["origin"] == {
        "valid": True,
        "signed": 0,
        "unsigned_before_proofs": 2,
        "problems": [],
    }
    accepted = audit.event(CaseAccepted(unit=UNIT, at=RECEIVED + timedelta(hours=1)), CASE, RECEIVED)
    replied = audit.event(
        CaseReplied(unit=UNIT, at=RECEIVED, content="ok", resolved=True), CASE, RECEIVED, cause=accepted
    )
    await audit.publish(accepted, replied)
    entries_now = await audit.entries_of(CASE, 4)
    assert [e["key_id"] for e in entries_now] == [None, None, "dispatch-test", "dispatch-test"]
    verified = await audit.verify(CASE)
    assert (verified["valid"], verified["chain"]["valid"], verified["first_bad_seq"]) == (True, True, None)
    assert verified["origin"] == {"valid": True, "signed": 2, "unsigned_before_proofs": 2, "problems": []}
    # Verify says which entries it could not prove; removing a later proof is not mistaken for an old entry.
    await audit.sql("UPDATE record_entries SET key_id = NULL, signature = NULL WHERE case_id = :c AND seq = 4", c=CASE)
    assert [p["seq"] for p in (await audit.verify(CASE))["origin"]["problems"]] == [4]


async def test_the_evaluation_kept_before_the_upgrade_still_counts_beside_the_next_cycles(audit):
    def satisfaction(items: list[dict]) -> dict:
        return next(i for i in items if i["unit"] == UNIT)["satisfaction"]

    before = (await audit.get("/v1/assessment/units", **SEPTEMBER)).json()["items"]
    assert satisfaction(before) == {"rate": 0.0, "numerator": 0, "denominator": 1}
    reopened = audit.event(CaseReopened(reason="dissatisfied", cycle=2, unit=UNIT), CASE, RECEIVED)
    visited = audit.event(
        VisitRecorded(contacted=True, satisfaction="satisfied", visited_at=RECEIVED, cycle=2, unit=UNIT),
        CASE,
        RECEIVED,
        cause=reopened,
    )
    recorded = len((await audit.record(CASE))["entries"])
    await audit.publish(reopened, visited)
    await audit.entries_of(CASE, recorded + 2)
    after = (await audit.get("/v1/assessment/units", **SEPTEMBER)).json()["items"]
    assert satisfaction(after) == {"rate": 0.5, "numerator": 1, "denominator": 2}
