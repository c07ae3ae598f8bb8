"""`python -m intake redact-backfill` on a database kept before the redaction revisions (0003, 0004), on SQLite and
PostgreSQL: descriptions and visit comments stored as given come out redacted with the original sealed beside them
(the hotline still reads it), a whistleblower's case is marked, and a second run changes nothing."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.engine import Connection

import intake as intake_package
from caseflow_common import db
from caseflow_common.testing import DATA_DIR, TEST_SECRET, TEST_SIGNERS
from intake.orm import cases, visits
from intake.privacy import PhoneVault, generate_key

MIGRATIONS = Path(intake_package.__file__).parent / "migrations"
KEY, HASH_KEY = generate_key(), "h" * 40
NAME, PHONE = "王大锤", "13912345678"
SAID = f"工地夜间施工。我叫{NAME}，请回电{PHONE}，身份证440106199001011235，邮箱wang@example.com"
COMMENT = "满意，以后打13766667777找我"
AT = datetime(2026, 9, 2, 1, 30, tzinfo=UTC)


def _case(case_id: str, category: str, description: str, *, withheld: bool = False) -> dict:
    return dict(
        case_id=case_id,
        channel="hotline",
        external_id=case_id,
        fingerprint="f" * 64,
        kind="complaint",
        category=category,
        urgency="normal",
        description=description,
        region_code="440106001",
        address="天河路1号",
        withheld=withheld,
        received_at=AT,
        created_at=AT,
    )


async def prepare_database(url: str) -> None:
    """As revision 0002 left it: descriptions and comments as given, whistleblower cases unmarked."""
    vault = PhoneVault([KEY], HASH_KEY)
    engine = db.make_engine(url)

    def to_0002(sync_conn: Connection) -> dict[str, Table]:
        cfg = db.alembic_config(MIGRATIONS, url)
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "0002")
        # The tables as that revision built them (later revisions' columns are not there yet).
        old = MetaData()
        return {t: Table(t, old, autoload_with=sync_conn) for t in ("cases", "case_status", "requesters", "visits")}

    try:
        async with engine.begin() as conn:
            at_0002 = await conn.run_sync(to_0002)
            for row in (
                _case("C-1", "env.noise.construction", SAID),
                _case("C-2", "clue.fraud", "有人冒充公检法诈骗", withheld=True),
                _case("C-3", "urban.garbage", "垃圾三天没人清运"),
            ):
                await conn.execute(insert(at_0002["cases"]).values(**row))
                await conn.execute(
                    insert(at_0002["case_status"]).values(
                        case_id=row["case_id"], status="closed", cycle=1, clocks="[]", updated_at=AT
                    )
                )
            await conn.execute(
                insert(at_0002["requesters"]).values(
                    case_id="C-1",
                    name_encrypted=vault.seal(NAME),
                    anonymous=False,
                    phone_encrypted=vault.encrypt(PHONE),
                    phone_hash=vault.phone_hash(PHONE),
                )
            )
            await conn.execute(
                insert(at_0002["visits"]).values(
                    case_id="C-1",
                    cycle=1,
                    attempt=1,
                    contacted=True,
                    satisfaction="satisfied",
                    comment=COMMENT,
                    visited_at=AT,
                )
            )
    finally:
        await engine.dispose()


async def backfill(url: str, *args: str) -> str:
    """Run the command as an operator would, with the service's own environment; what it printed."""
    signer = TEST_SIGNERS["intake"]
    env = {
        **os.environ,
        "CASEFLOW_ENV": "dev",
        "CASEFLOW_DATABASE_URL": url,
        "CASEFLOW_AUTH_SECRET": TEST_SECRET,
        "CASEFLOW_DATA_DIR": str(DATA_DIR),
        "CASEFLOW_PHONE_ENCRYPTION_KEYS": f'["{KEY}"]',
        "CASEFLOW_PHONE_HASH_KEY": HASH_KEY,
        "CASEFLOW_SIGNING_KEY": signer.secret(),
        "CASEFLOW_SIGNING_KEY_ID": signer.key_id,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "intake",
        "redact-backfill",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]
    return out.decode()


async def _stored(url: str) -> tuple[dict, list, dict]:
    engine = db.make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = {r.case_id: r for r in (await conn.execute(select(cases))).all()}
            comments = (await conn.execute(select(visits.c.comment, visits.c.comment_sealed))).all()
    finally:
        await engine.dispose()
    return rows, comments, {k: (r.whistleblower, r.withheld) for k, r in rows.items()}


async def test_rows_stored_before_redaction_are_redacted_sealed_and_marked_and_a_second_run_changes_nothing(
    databases,
):
    url = await databases.new_url("backfill")
    await prepare_database(url)
    dry = await backfill(url, "--dry-run", "--batch-size", "2")
    assert "descriptions: read 3, would redact 1" in dry and "whistleblower cases: would mark 1" in dry
    rows, _, _ = await _stored(url)
    assert rows["C-1"].description == SAID and rows["C-1"].description_sealed is None  # a dry run changes nothing

    printed = await backfill(url, "--batch-size", "2")
    assert printed.splitlines() == [
        "descriptions: read 3, redacted 1",
        "visit comments: read 1, redacted 1",
        "whistleblower cases: marked 1",
    ]
    rows, comments, marks = await _stored(url)
    vault = PhoneVault([KEY], HASH_KEY)
    assert rows["C-1"].description == "工地夜间施工。我叫[姓名]，请回电[电话]，身份证[证件号]，邮箱[邮箱]"
    assert vault.decrypt(rows["C-1"].description_sealed) == SAID  # the hotline's view still has it
    assert [(c.comment, vault.decrypt(c.comment_sealed)) for c in comments] == [("满意，以后打[电话]找我", COMMENT)]
    assert rows["C-3"].description == "垃圾三天没人清运" and rows["C-3"].description_sealed is None
    assert marks == {"C-1": (False, False), "C-2": (True, True), "C-3": (False, False)}

    again = await backfill(url)
    assert again.splitlines() == [
        "descriptions: read 2, redacted 0",
        "visit comments: read 0, redacted 0",
        "whistleblower cases: marked 0",
    ]
    assert await _stored(url) == (rows, comments, marks)
