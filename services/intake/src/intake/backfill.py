"""`python -m intake redact-backfill`: rows stored before the redaction revisions brought up to today's rules.

Before migration 0003 a case's description was stored as given; before 0004 a visit's comment was, and a
whistleblower's case was not marked. Free text carries phone numbers, ID numbers, e-mail addresses and names
(GZ Art. 15; SZ Art. 19) and a whistleblower's identity is shown to nobody (GZ Art. 20). This pass redacts each
such text the way intake redacts a new one (the original sealed beside it, for the hotline's view), and marks the
cases of whistleblower categories; it walks the tables in key order, one committed batch at a time, so it can run
beside the service and be stopped and run again: a row already done is left as it is.

What left intake before then (the events departments received, the other services' copies) is theirs; this pass
touches intake's own tables only.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, and_, select, update

from intake.orm import cases, requesters, visits
from intake.privacy import PhoneVault, VaultError, redact_and_seal
from intake.uow import IntakeRuntime


@dataclass
class BackfillReport:
    """What the pass looked at and what it changed."""

    descriptions_read: int = 0
    descriptions_redacted: int = 0
    comments_read: int = 0
    comments_redacted: int = 0
    whistleblower_cases_marked: int = 0

    def lines(self, *, dry_run: bool) -> list[str]:
        verb = "would redact" if dry_run else "redacted"
        return [
            f"descriptions: read {self.descriptions_read}, {verb} {self.descriptions_redacted}",
            f"visit comments: read {self.comments_read}, {verb} {self.comments_redacted}",
            f"whistleblower cases: {'would mark' if dry_run else 'marked'} {self.whistleblower_cases_marked}",
        ]


def _name(vault: PhoneVault, token: str | None) -> str | None:
    if not token:
        return None
    try:
        return vault.decrypt(token)
    except VaultError:
        return None  # a retired key: the text is still redacted of numbers, e-mails and announced names


async def _redact_column(
    rt: IntakeRuntime,
    *,
    key: Column[Any],
    text: Column[Any],
    sealed: Column[Any],
    only: ColumnElement[bool] | None,
    batch_size: int,
    dry_run: bool,
) -> tuple[int, int]:
    """Walk ``text``'s table in ``key`` order, one committed batch at a time, redacting every row not sealed yet
    (the original sealed beside it); (rows read, rows redacted)."""
    table, vault, after, read, redacted = key.table, rt.context.vault, None, 0, 0
    while True:
        async with rt.uow() as uow:
            where = [
                sealed.is_(None),
                *([only] if only is not None else []),
                *([key > after] if after is not None else []),
            ]
            stmt = (
                select(key, text, requesters.c.name_encrypted)
                .outerjoin(requesters, requesters.c.case_id == table.c.case_id)
                .where(and_(*where))
                .order_by(key)
                .limit(batch_size)
            )
            rows = (await uow.session.execute(stmt)).all()
            if not rows:
                return read, redacted
            for row_key, given, name in rows:
                redacted_text, original = redact_and_seal(vault, given, names=[_name(vault, name)])
                read += 1
                if original is not None:
                    redacted += 1
                    await uow.session.execute(
                        update(table).where(key == row_key).values({text.name: redacted_text, sealed.name: original})
                    )
            after = rows[-1][0]
            if not dry_run:
                await uow.commit()


async def _whistleblowers(rt: IntakeRuntime, report: BackfillReport, dry_run: bool) -> None:
    codes = sorted(c.code for c in rt.context.categories.values() if c.whistleblower)
    if not codes:
        return
    async with rt.uow() as uow:
        result: Any = await uow.session.execute(
            update(cases)
            .where(and_(cases.c.category.in_(codes), cases.c.whistleblower.is_(False)))
            .values(whistleblower=True, withheld=True)
        )
        report.whistleblower_cases_marked = int(result.rowcount or 0)
        if not dry_run:
            await uow.commit()


async def backfill_redaction(rt: IntakeRuntime, *, batch_size: int = 500, dry_run: bool = False) -> BackfillReport:
    """Redact descriptions and visit comments stored as given, and mark whistleblower cases; idempotent."""
    report = BackfillReport()
    report.descriptions_read, report.descriptions_redacted = await _redact_column(
        rt,
        key=cases.c.case_id,
        text=cases.c.description,
        sealed=cases.c.description_sealed,
        only=None,
        batch_size=batch_size,
        dry_run=dry_run,
    )
    report.comments_read, report.comments_redacted = await _redact_column(
        rt,
        key=visits.c.id,
        text=visits.c.comment,
        sealed=visits.c.comment_sealed,
        only=visits.c.comment != "",
        batch_size=batch_size,
        dry_run=dry_run,
    )
    await _whistleblowers(rt, report, dry_run)
    return report


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch-size", type=int, default=500, help="rows per committed batch (default 500)")
    parser.add_argument("--dry-run", action="store_true", help="count what would change, change nothing")


async def run(rt: IntakeRuntime, args: argparse.Namespace) -> list[str]:
    """The command: migrate first (the columns it fills come with 0003 and 0004), then the pass."""
    from caseflow_common import db

    if rt.spec.migrations is not None:
        await db.migrate(rt.engine, rt.spec.migrations)
    report = await backfill_redaction(rt, batch_size=max(1, args.batch_size), dry_run=args.dry_run)
    return report.lines(dry_run=args.dry_run)
