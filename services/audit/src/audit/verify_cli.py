"""`python -m audit verify`: recompute every case chain (with a progress bar) and check the anchors."""

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
from audit.domain.chain import verify_chain
from audit.orm import entries
from audit.repository import CHAIN_COLUMNS
from audit.settings import Settings
from caseflow_common import db


@dataclass
class Report:
    """What a full verification found."""

    cases: int = 0
    entries: int = 0
    broken: list[tuple[str, int]] = field(default_factory=list)  # (case_id, first bad seq)
    anchors: dict = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """Every chain and the anchors hold."""
        return not self.broken and bool(self.anchors.get("valid", True))


async def verify_everything(engine: AsyncEngine, progress: Progress | None = None, batch: int = 20_000) -> Report:
    """Stream every entry in (case, seq) order, verify each case's chain, then the anchors."""
    report = Report()
    sessions = db.session_factory(engine)
    async with sessions() as session:
        total = (await session.execute(select(func.count()).select_from(entries))).scalar_one()
        task = progress.add_task("verifying chains", total=total) if progress else None
        result = await session.stream(
            select(*CHAIN_COLUMNS).order_by(entries.c.case_id, entries.c.seq).execution_options(yield_per=batch)
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
            _verify_cases(done, report)
            if progress is not None and task is not None:
                progress.advance(task, len(done))
        _verify_cases(carry, report)
        if progress is not None and task is not None:
            progress.advance(task, len(carry))
        report.anchors = await verify_all(AnchorRepository(session))
    return report


def _verify_cases(rows: list[tuple], report: Report) -> None:
    for case_id, chain in itertools.groupby(rows, key=lambda r: r[1]):
        result = verify_chain(chain)
        report.cases += 1
        report.entries += result.entries
        if not result.valid:
            metrics.CHAIN_VERIFICATION_FAILURES.inc()
            report.broken.append((case_id, result.first_bad_seq or 0))


def main(argv: list[str] | None = None) -> int:
    """Verify the database named by the settings; exit status 1 when anything is broken."""
    parser = argparse.ArgumentParser(prog="python -m audit verify", description=__doc__)
    parser.add_argument("--batch", type=int, default=20_000, help="entries fetched per round trip")
    args = parser.parse_args(argv)
    console = Console()
    engine = db.make_engine(Settings().database_url)

    async def run() -> Report:
        try:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
            ) as progress:
                return await verify_everything(engine, progress, args.batch)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    console.print(f"{report.entries:,} entries in {report.cases:,} case chains")
    for case_id, seq in report.broken[:50]:
        console.print(f"[red]broken[/red] case {case_id}: first bad seq {seq}")
    if len(report.broken) > 50:
        console.print(f"... and {len(report.broken) - 50} more broken chains")
    anchors = report.anchors
    console.print(
        f"anchors: {anchors.get('anchors', 0)}, valid: {anchors.get('valid')}, "
        f"changed cases since the latest anchor: {anchors.get('changed_count', 0)}"
    )
    console.print("[green]record intact[/green]" if report.valid else "[red]record NOT intact[/red]")
    return 0 if report.valid else 1
