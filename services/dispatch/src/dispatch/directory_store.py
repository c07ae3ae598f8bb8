"""The versioned directory: the stored log of changes in dispatch's database (the files as version 1's seed, stored at
start-up), and the Reference in force at any instant, built from it (cached per set of changes in force)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from dispatch.directory_repository import DirectoryRepository
from dispatch.domain.directory_log import ChangeOp, DirectoryChange, DirectoryState, check_timeline, included, replay
from dispatch.reference import Reference

log = logging.getLogger(__name__)
# The seed is in force from the start of time: as_of before it still shows the directory the files describe.
SEED_EFFECTIVE = datetime(1970, 1, 1, tzinfo=UTC)


def change_of(row: dict[str, Any]) -> DirectoryChange:
    """A stored version as a domain change."""
    return DirectoryChange(
        version=int(row["version"]),
        op=ChangeOp(row["op"]),
        code=row["code"],
        effective_from=row["effective_from"],
        data=row["data"] or {},
    )


class DirectoryStore:
    """Keeps the log of directory changes (refreshed from the database at most every ``refresh_s`` seconds, at once
    after this replica stored one) and answers which units and regions are in force when."""

    def __init__(
        self,
        files: Reference,
        *,
        clock: Callable[[], datetime],
        refresh_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.files, self.clock = files, clock
        self.refresh_s, self._monotonic = refresh_s, monotonic
        self.log: list[DirectoryChange] = []
        self._built: dict[tuple[int, ...], Reference] = {}
        self._checked_at = 0.0
        # The effects of versions in force (re-routing a retired unit's cases) run one pass at a time in this
        # replica: the admin request that stored a change and the periodic loop never run them side by side.
        self.applying = asyncio.Lock()
        self.rerouted: dict[int, int] = {}  # version -> open cases its effects re-routed (in this replica)

    # -- reading -------------------------------------------------------------------------------------------------
    @property
    def latest_version(self) -> int:
        """The newest version known to this replica (1 before the seed is stored: the files)."""
        return self.log[-1].version if self.log else 1

    @property
    def reference(self) -> Reference:
        """The directory in force now."""
        return self.as_of(self.clock())

    def as_of(self, when: datetime | None, *, up_to: int | None = None) -> Reference:
        """The directory in force at ``when`` (every recorded change when None) as recorded up to version ``up_to``."""
        if not self.log:
            return self.files
        changes = included(self.log, as_of=when, up_to=up_to)
        key = tuple(c.version for c in changes)
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = self.build(replay(changes), max(key))
        return built

    def build(self, state: DirectoryState, version: int) -> Reference:
        """The Reference for a directory state (categories and the seed routing from the files)."""
        return dataclasses.replace(
            self.files,
            tree=state.tree(),
            units=state.directory(),
            directory_version=version,
            retired_names={code: u["name"] for code, u in state.retired_units.items()},
        )

    def get(self, version: int) -> DirectoryChange | None:
        """One known version, or None."""
        return next((c for c in self.log if c.version == version), None)

    # -- storing ---------------------------------------------------------------------------------------------------
    async def seed(self, repo: DirectoryRepository, *, now: datetime) -> bool:
        """Store the files as version 1 when nothing is stored yet; True when this call stored it."""
        if await repo.latest_version() is not None:
            return False
        records = self.files.seed_records()
        await repo.add(
            1, op=ChangeOp.SEED, code="", data=records, effective_from=SEED_EFFECTIVE, at=now, by="seed:directory files"
        )
        return True

    async def refresh(self, repo: DirectoryRepository, *, fresh: bool = False) -> None:
        """Read the versions stored since the last look (by any replica)."""
        if not fresh and self.log and self._monotonic() - self._checked_at < self.refresh_s:
            return
        known = self.latest_version if self.log else 0
        for row in await repo.since(known):
            self.remember(change_of(row))
        self._checked_at = self._monotonic()

    def remember(self, change: DirectoryChange) -> None:
        """Add a (committed) version to the log this replica answers from."""
        if self.log and change.version <= self.log[-1].version:
            return
        self.log.append(change)

    def propose(
        self,
        op: ChangeOp,
        code: str,
        data: dict[str, Any],
        *,
        effective_from: datetime,
        base_version: int | None,
    ) -> tuple[DirectoryChange, DirectoryState]:
        """The next version for this change, checked against the whole timeline (pending changes included), and the
        directory once everything recorded is in force; StaleDirectoryVersion when base_version is stale."""
        if base_version is not None and base_version != self.latest_version:
            raise StaleDirectoryVersion(f"the directory is at version {self.latest_version}, not {base_version}")
        change = DirectoryChange(self.latest_version + 1, op, code, effective_from, data)
        return change, check_timeline(self.log, change)

    def pending(self, now: datetime) -> Sequence[DirectoryChange]:
        """Changes recorded but not in force yet."""
        return [c for c in self.log if c.op is not ChangeOp.SEED and c.effective_from > now]


class StaleDirectoryVersion(Exception):
    """The directory changed since the version the editor started from."""
