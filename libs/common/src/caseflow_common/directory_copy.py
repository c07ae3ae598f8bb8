"""A consumer's copy of the directory dispatch keeps (GZ Art. 5; SZ Art. 8): the directory files, with every
``DirectoryChanged`` version it received applied as of its effective date (a future one when its date comes).

escalation (coordination areas, public security of a region, which units exist) and intake (the regions a report may
name) keep such a copy; dispatch validated every change, so a copy applies what a change states and skips what it
cannot (an unknown operation from a newer producer, a rename of a code it never had). The versions a service received
are stored in its own ``directory_changes`` table (``directory_changes_table``), so a restart or another replica of
the same service (consumers of one group split partitions: one replica receives each change) reads them back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from caseflow_common.contracts.dispatch import DirectoryChanged
from caseflow_common.db import as_utc
from caseflow_common.directory import RegionLevel, RegionRecord, UnitRecord
from caseflow_common.runtime import Loop

log = logging.getLogger(__name__)

T = TypeVar("T")


def directory_changes_table(metadata: MetaData) -> Table:
    """The table of directory versions a service received (its migrations create it literally)."""
    return Table(
        "directory_changes",
        metadata,
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("effective_from", DateTime(timezone=True), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )


@dataclass(frozen=True)
class DirectorySnapshot:
    """Units and regions in force at one instant (``versions``: the changes applied)."""

    versions: tuple[int, ...]
    regions: Mapping[str, RegionRecord]
    units: Mapping[str, UnitRecord]


class DirectoryCopy:
    """The files plus the changes received, answered as of an instant (cached per set of changes in force)."""

    def __init__(
        self,
        regions: Iterable[RegionRecord],
        units: Iterable[UnitRecord],
        *,
        clock: Callable[[], datetime],
        refresh_s: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._regions = {r.code: r for r in regions}
        self._units = {u.code: u for u in units}
        self.clock, self.refresh_s, self._monotonic = clock, refresh_s, monotonic
        self.changes: dict[int, DirectoryChanged] = {}
        self._snapshots: dict[tuple[int, ...], DirectorySnapshot] = {}
        self._views: dict[tuple[Any, ...], Any] = {}
        self._checked_at: float | None = None

    def remember(self, change: DirectoryChanged) -> None:
        """Add a received version (again: no effect)."""
        self.changes.setdefault(change.directory_version, change)

    def snapshot(self, when: datetime | None = None) -> DirectorySnapshot:
        """The directory in force at ``when`` (default now)."""
        at = when or self.clock()
        due = sorted(
            (c for c in self.changes.values() if c.effective_from <= at),
            key=lambda c: (c.effective_from, c.directory_version),
        )
        key = tuple(c.directory_version for c in due)
        found = self._snapshots.get(key)
        if found is None:
            regions, units = dict(self._regions), dict(self._units)
            for change in due:
                _apply(change, regions, units)
            found = self._snapshots[key] = DirectorySnapshot(key, regions, units)
        return found

    def view(self, build: Callable[..., T], *args: Any, when: datetime | None = None) -> T:
        """``build(snapshot, *args)`` of the directory in force, built once per set of changes in force (``build``
        and ``args`` hashable: a function or bound method and plain values)."""
        snap = self.snapshot(when)
        key = (build, args, snap.versions)
        if key not in self._views:
            self._views[key] = build(snap, *args)
        return self._views[key]  # type: ignore[no-any-return]

    async def refresh(self, session: AsyncSession, table: Table, *, fresh: bool = False) -> None:
        """Read the versions this service stored since the last look (by any replica), at most every refresh_s."""
        if not fresh and self._checked_at is not None and self._monotonic() - self._checked_at < self.refresh_s:
            return
        known = max(self.changes, default=0)
        rows = await session.execute(select(table.c.payload).where(table.c.version > known).order_by(table.c.version))
        for (payload,) in rows:
            self.remember(DirectoryChanged.model_validate(payload))
        self._checked_at = self._monotonic()


async def store_change(session: AsyncSession, table: Table, change: DirectoryChanged, *, at: datetime) -> bool:
    """Keep a received version (idempotent by version); True when it was new."""
    found = await session.execute(select(table.c.version).where(table.c.version == change.directory_version))
    if found.first() is not None:
        return False
    await session.execute(
        insert(table).values(
            version=change.directory_version,
            effective_from=as_utc(change.effective_from),
            payload=change.model_dump(mode="json"),
            received_at=at,
        )
    )
    return True


def _apply(change: DirectoryChanged, regions: dict[str, RegionRecord], units: dict[str, UnitRecord]) -> None:
    entry = change.entry
    match change.op:
        case "add_unit" if entry is not None and entry.kind and entry.region:
            units[change.code] = UnitRecord.model_validate(
                {
                    "code": change.code,
                    "name": entry.name,
                    "level": entry.level,
                    "kind": entry.kind,
                    "region": entry.region,
                }  # fmt: skip
            )
        case "add_region" if entry is not None and entry.level in {level.value for level in RegionLevel}:
            regions[change.code] = RegionRecord(
                code=change.code, name=entry.name, level=RegionLevel(entry.level), parent=entry.parent, bbox=entry.bbox
            )
        case "rename_unit" if entry is not None and change.code in units:
            units[change.code] = units[change.code].model_copy(update={"name": entry.name})
        case "rename_region" if entry is not None and change.code in regions:
            regions[change.code] = regions[change.code].model_copy(update={"name": entry.name})
        case "retire_unit":
            units.pop(change.code, None)
        case "retire_region":
            regions.pop(change.code, None)


def refresh_loop(table: Table, interval_s: float) -> Callable[[Any], Loop]:
    """A ServiceSpec loop: every ``interval_s`` seconds, the versions any replica of the service stored are read into
    ``runtime.context.directory`` (a DirectoryCopy), the first time at start."""

    def make(runtime: Any) -> Loop:
        async def loop(stop: asyncio.Event) -> None:
            while not stop.is_set():
                copy = getattr(runtime.context, "directory", None)
                try:
                    if isinstance(copy, DirectoryCopy):
                        async with runtime.sessions() as session:
                            await copy.refresh(session, table, fresh=True)
                except Exception:
                    log.warning("directory copy refresh failed", exc_info=True)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=interval_s)
                except TimeoutError:
                    pass

        return loop

    make.__name__ = "directory_copy_loop"
    return make
