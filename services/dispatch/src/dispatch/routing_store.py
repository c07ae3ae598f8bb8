"""The versioned routing table: stored versions in dispatch's database, the file as version 1's seed (stored at
start-up, before any case is routed)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from dispatch.domain import RoutingTable
from dispatch.reference import Reference
from dispatch.routing_repository import RoutingRepository

log = logging.getLogger(__name__)


class RoutingRejected(Exception):
    """A proposed routing table has problems; every one of them is listed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the routing table")
        self.problems = problems


class StaleRoutingVersion(Exception):
    """The table changed since the version the editor started from."""


class RoutingStore:
    """Looks up the newest stored routing table (cached per version) and stores new, validated versions."""

    def __init__(
        self,
        directory: Callable[[datetime | None], Reference],
        *,
        crime_unit_kind: str,
        refresh_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        # directory(when): the directory in force then; None: once every recorded change is in force.
        self.directory, self.crime_unit_kind = directory, crime_unit_kind
        self.refresh_s, self._monotonic = refresh_s, monotonic
        self._tables: dict[int, RoutingTable] = {}
        self._current: RoutingTable | None = None
        self._checked_at = 0.0

    def build(self, version: int, rules: list[dict[str, Any]]) -> RoutingTable:
        """A routing table object for these rules."""
        return RoutingTable.from_dict({"version": version, "rules": rules}, crime_unit_kind=self.crime_unit_kind)

    def problems(self, table: RoutingTable, now: datetime) -> list[str]:
        """Every inconsistency of the table against the directory in force now and once every recorded change is in
        force (a unit due to retire cannot be named anew)."""
        found: list[str] = []
        for ref in {id(r): r for r in (self.directory(now), self.directory(None))}.values():
            found += [p for p in table.validate(ref.categories, ref.tree, ref.units) if p not in found]
        return found

    def remember(self, table: RoutingTable) -> None:
        """Use this (committed) version for new cases from now on in this process."""
        self._tables[table.version] = table
        self._current, self._checked_at = table, self._monotonic()

    async def seed(self, repo: RoutingRepository, *, now: datetime) -> RoutingTable | None:
        """Store the file's table as the first version when none is stored yet; the seeded table, or None."""
        if await repo.latest_version() is not None:
            return None
        seed = self.directory(now).seed_routing
        version = int(seed["version"])
        await repo.add(version, seed["rules"], at=now, by="seed:routing.json")
        table = self.build(version, seed["rules"])
        for problem in self.problems(table, now):
            log.warning("seed routing table problem", extra={"problem": problem})
        return table  # remember() it once committed

    async def current(self, repo: RoutingRepository, *, fresh: bool = False) -> RoutingTable:
        """The newest stored version. Looked up at most every ``refresh_s`` seconds (other replicas pick up a new
        version within that time; this one at once), or now when fresh."""
        if not fresh and self._current is not None and self._monotonic() - self._checked_at < self.refresh_s:
            return self._current
        version = await repo.latest_version()
        if version is None:
            raise RuntimeError("no routing table is stored: the seed is stored at start-up")
        table = self._tables.get(version)
        if table is None:
            stored = await repo.get(version)
            if stored is None:
                raise RuntimeError(f"routing version {version} vanished")
            table = self._tables[version] = self.build(version, stored["rules"])
        self._current, self._checked_at = table, self._monotonic()
        return table

    async def publish(
        self, repo: RoutingRepository, rules: list[dict[str, Any]], *, base_version: int | None, now: datetime, by: str
    ) -> RoutingTable:
        """Validate and store the rules as the next version; RoutingRejected lists every problem."""
        current = await self.current(repo, fresh=True)
        if base_version is not None and base_version != current.version:
            raise StaleRoutingVersion(f"the routing table is at version {current.version}, not {base_version}")
        table = self.build(current.version + 1, rules)
        problems = self.problems(table, now)
        if problems:
            raise RoutingRejected(problems)
        await repo.add(table.version, rules, at=now, by=by)
        return table  # remember() it once committed: a lost race must not leave a phantom version
