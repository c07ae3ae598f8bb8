"""`python -m audit verify`: recompute every case chain, check every entry's proof of origin (with a progress bar),
and check the anchors."""

from __future__ import annotations

import argparse
import asyncio
import itertools
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from audit import metrics
from audit.anchors import AnchorRepository, verify_all
from audit.context import verification_keys
from audit.domain.chain import verify_chain
from audit.origin import ENTRY_COLUMNS, check_origin
from audit.orm import entries
from audit.settings import Settings
from caseflow_common import db
from caseflow_common.signing import Keyring


@dataclass
class Report:
    """What a full verification found."""

    cases: int = 0
    entries: int = 0
    broken: list[tuple[str, int]] = field(default_factory=list)  # (case_id, first bad seq)
    signed: int = 0
    unsigned_before_proofs: int = 0
    origin_problems: list[tuple[str, int, str]] = field(default_factory=list)  # (case_id, seq, reason)
    anchors: dict = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """Every chain, every entry's origin and the anchors hold."""
        return not self.broken and not self.origin_problems and bool(self.anchors.get("valid", True))


async def verify_everything(
    engine: AsyncEngine, keyring: Keyring, progress: Progress | None = None, batch: int = 20_000
) -> Report:
    """Stream every entry in (case, seq) order, verify each case's chain and each entry's origin, then the anchors."""
    report = Report()
    sessions = db.session_factory(engine)
    async with sessions() as session:
        total = (await session.execute(select(func.count()).select_from(entries))).scalar_one()
        task = progress.add_task("verifying chains", total=total) if progress else None
        result = await session.stream(
            select(*ENTRY_COLUMNS).order_by(entries.c.case_id, entries.c.seq).execution_options(yield_per=batch)
        )
        carry: list[tuple] = []
        async for part in result.partitions(batch):
            rows = carry + [tuple(r) for r in part]
            # The last case of a batch may go on in the next one: keep it back.
            last_case = rows[-1][1]
            cut = len(rows)
            while cut > 0 and rows[cut - 1][1] == last_case:
                cut -= 1
            done, carry = rows[:cut], rows[cut:]
            _verify_cases(done, report, keyring)
            if progress is not None and task is not None:
                progress.advance(task, len(done))
        _verify_cases(carry, report, keyring)
        if progress is not None and task is not None:
            progress.advance(task, len(carry))
        report.anchors = await verify_all(AnchorRepository(session))
    return report


def _verify_cases(rows: list[tuple], report: Report, keyring: Keyring) -> None:
    for case_id, group in itertools.groupby(rows, key=lambda r: r[1]):
        chain = list(group)
        result = verify_chain(chain)
        report.cases += 1
        report.entries += result.entries
        if not result.valid:
            metrics.CHAIN_VERIFICATION_FAILURES.inc()
            report.broken.append((case_id, result.first_bad_seq or 0))
        origin = check_origin(chain, keyring)
        report.signed += origin.signed
        report.unsigned_before_proofs += origin.unsigned_before_proofs
        if not origin.valid:
            metrics.ORIGIN_VERIFICATION_FAILURES.inc()
            report.origin_problems += [(case_id, p.seq, p.reason) for p in origin.problems]


def main(argv: list[str] | None = None) -> int:
    """Verify the database named by the settings; exit status 1 when anything is broken."""
    parser = argparse.ArgumentParser(prog="python -m audit verify", description=__doc__)
    parser.add_argument("--batch", type=int, default=20_000, help="entries fetched per round trip")
    args = parser.parse_args(argv)
    console = Console()
    settings = Settings()
    engine = db.make_engine(settings.database_url)
    keyring = verification_keys(settings)

    async def run() -> Report:
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
            ) as progress:
                return await verify_everything(engine, keyring, progress, args.batch)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    console.print(f"{report.entries:,} entries in {report.cases:,} case chains")
    for case_id, seq in report.broken[:50]:
        console.print(f"[red]broken[/red] case {case_id}: first bad seq {seq}")
    if len(report.broken) > 50:
        console.print(f"... and {len(report.broken) - 50} more broken chains")
    console.print(
        f"origin: {report.signed:,} entries signed by their producer, "
        f"{report.unsigned_before_proofs:,} unsigned (before origin proofs)"
    )
    for case_id, seq, reason in report.origin_problems[:50]:
        console.print(f"[red]origin[/red] case {case_id} seq {seq}: {reason}")
    if len(report.origin_problems) > 50:
        console.print(f"... and {len(report.origin_problems) - 50} more entries whose origin does not hold")
    anchors = report.anchors
    console.print(
        f"anchors: {anchors.get('anchors', 0)}, valid: {anchors.get('valid')}, "
        f"changed cases since the latest anchor: {anchors.get('changed_count', 0)}"
    )
    console.print("[green]record intact[/green]" if report.valid else "[red]record NOT intact[/red]")
    return 0 if report.valid else 1
