"""SQL of the hotspot sightings (case_regions): the regions each received case counts in, and how many cases of a
category each region counted in a window (SZ Art. 21; GZ Art. 48(3)).

``SightingQueries`` is one part of escalation's ``Repository``: in a consumed batch the received cases' sightings are
written at flush, and until then every count and read adds them to the stored ones; the stored counts of a category
are read once a batch (``_Anchor``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Row, Table, bindparam, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from escalation.orm import case_regions
from escalation.queries import stored_at

_SIGHTINGS = select(case_regions).where(
    case_regions.c.category == bindparam("category"),
    case_regions.c.region_code.in_(bindparam("regions", expanding=True)),
    case_regions.c.received_at > bindparam("since"),
    case_regions.c.received_at <= bindparam("until"),
)
# How many cases of a category each region counted in a window: what decides whether a hotspot check reads them.
_SIGHTING_COUNTS = (
    select(case_regions.c.region_code, func.count())
    .where(
        case_regions.c.category == bindparam("category"),
        case_regions.c.region_code.in_(bindparam("regions", expanding=True)),
        case_regions.c.received_at > bindparam("since"),
        case_regions.c.received_at <= bindparam("until"),
    )
    .group_by(case_regions.c.region_code)
)
# A consumed batch's hotspot counts for one category, for every region its received cases of the category count in, in
# one statement: the count in the window ending at the first check, and the sightings in the two slices a later check's
# window moves over (its start and its end, ANCHOR_SPAN wide). Each arm is one range of the (category, region_code,
# received_at) index per region. See Repository.sighting_counts.
ANCHOR_SPAN = timedelta(seconds=60)


def _anchor_arm(lo: str, hi: str, counted: bool) -> Any:
    at = case_regions.c.received_at
    where = (
        case_regions.c.category == bindparam("category"),
        case_regions.c.region_code.in_(bindparam("regions", expanding=True)),
        at > bindparam(lo),
        at <= bindparam(hi),
    )
    if counted:
        return (
            select(case_regions.c.region_code, null(), func.count()).where(*where).group_by(case_regions.c.region_code)
        )
    return select(case_regions.c.region_code, at.label("at"), literal(0)).where(*where)


_ANCHORED = union_all(  # the sightings first: their column types (a time) are the union's
    _anchor_arm("since", "since_end", counted=False),
    _anchor_arm("until", "until_end", counted=False),
    _anchor_arm("since", "until", counted=True),
)


class Sighting(NamedTuple):
    """A case counted in a region (a ``case_regions`` row, stored or still to be written at flush)."""

    case_id: str
    region_code: str
    category: str
    received_at: datetime


@dataclass
class _Anchor:
    """Stored sightings of one category in a batch's regions, read once: ``counts`` in (at - window, at], and the
    sightings' times in (at - window, at - window + ANCHOR_SPAN] (``leaving``) and (at, at + ANCHOR_SPAN]
    (``entering``), sorted."""

    at: datetime
    window: timedelta
    counts: dict[str, int]
    leaving: dict[str, list[datetime]]
    entering: dict[str, list[datetime]]

    def count(self, region: str, since: datetime, until: datetime) -> int:
        """The stored count of the pair in (since, until], a window as long as the anchor's, ending at most
        ANCHOR_SPAN after it: the anchor's count, less what its start passed, plus what its end reached."""
        left = bisect_right(self.leaving.get(region, []), since)
        reached = bisect_right(self.entering.get(region, []), until)
        return self.counts.get(region, 0) - left + reached


class SightingQueries:
    """The sightings of escalation's ``Repository`` (which gives the session, which cases are the batch's, and the
    insert that leaves a stored row alone)."""

    session: AsyncSession

    def _deferred(self, case_id: str) -> bool:
        raise NotImplementedError

    def _insert_ignoring(self, table: Table) -> Any:
        raise NotImplementedError

    def _init_sightings(self) -> None:
        self._pending_regions: dict[tuple[str, str], Sighting] = {}  # (case, region) -> sighting, written at flush
        self._sighted: dict[tuple[str, str], list[Sighting]] = {}  # (category, region) -> the pending sightings
        self._expected: dict[str, set[str]] = {}  # category -> the regions the batch's received cases count in
        self._anchors: dict[str, _Anchor] = {}  # category -> their stored counts, read at its first hotspot check

    async def _flush_sightings(self) -> None:
        """Write the batch's sightings (one insert)."""
        if self._pending_regions:
            sightings, self._pending_regions, self._sighted = self._pending_regions, {}, {}
            await self.session.execute(self._insert_ignoring(case_regions), [s._asdict() for s in sightings.values()])

    def expect_sightings(self, pairs: Collection[tuple[str, str]]) -> None:
        """The (category, region) pairs the batch's received cases may count in: the first hotspot count of a
        category reads the stored counts of all its regions at once."""
        self._expected, self._anchors = {}, {}
        for category, region in pairs:
            self._expected.setdefault(category, set()).add(region)

    async def add_case_regions(self, case_id: str, regions: Iterable[str], category: str, at: datetime) -> None:
        """Count the case in these regions (once each: a case counted before stays as it was)."""
        sightings = [Sighting(case_id, r, category, at.astimezone(UTC)) for r in dict.fromkeys(regions)]
        if not sightings:
            return
        if self._deferred(case_id):  # a case of the batch: written at flush
            for s in sightings:
                if (case_id, s.region_code) not in self._pending_regions:
                    self._pending_regions[case_id, s.region_code] = s
                    self._sighted.setdefault((category, s.region_code), []).append(s)
            return
        self._expected, self._anchors = {}, {}  # stored counts change: read them per check from here on
        await self.session.execute(self._insert_ignoring(case_regions), [s._asdict() for s in sightings])

    def _pending_sightings(
        self, category: str, regions: Sequence[str], since: datetime, until: datetime
    ) -> list[Sighting]:
        """The batch's sightings not written yet that fall in (since, until]."""
        if not self._sighted:
            return []
        lo, hi = since.astimezone(UTC), until.astimezone(UTC)
        return [s for r in regions for s in self._sighted.get((category, r), ()) if lo < s.received_at <= hi]

    async def sightings(
        self, category: str, regions: Sequence[str], since: datetime, until: datetime
    ) -> list[Row | Sighting]:
        params = {"category": category, "regions": list(regions), "since": since, "until": until}
        stored: list[Row | Sighting] = list(await self.session.execute(_SIGHTINGS, params))
        return stored + self._pending_sightings(category, regions, since, until)

    async def sighting_counts(
        self, category: str, regions: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, int]:
        """Per region, the cases of ``category`` it counted in (since, until], regions without any left out: the
        stored ones plus the batch's sightings not written yet. A case received again within a batch may count twice
        here, which costs at most a read of ``sightings`` (the warnings count distinct cases).

        In a consumed batch the stored counts of a category in every region the batch's received cases of it count in
        are read at the category's first check (``expect_sightings``, ``_Anchor``: one statement, one index range a
        region and arm); the batch writes its sightings only at flush, so each later check's stored count follows
        from them exactly, its window having moved by the time since the first. A check outside the anchor (another
        window, earlier, later than ANCHOR_SPAN, a region not expected) counts on its own."""
        since, until = since.astimezone(UTC), until.astimezone(UTC)
        counts = await self._anchored_counts(category, regions, since, until)
        if counts is None:
            params = {"category": category, "regions": list(regions), "since": since, "until": until}
            counts = {r[0]: int(r[1]) for r in await self.session.execute(_SIGHTING_COUNTS, params)}
        for s in self._pending_sightings(category, regions, since, until):
            counts[s.region_code] = counts.get(s.region_code, 0) + 1
        return counts

    async def _anchored_counts(
        self, category: str, regions: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, int] | None:
        expected = self._expected.get(category)
        if not expected or until - since <= 2 * ANCHOR_SPAN or not expected.issuperset(regions):
            return None
        anchor = self._anchors.get(category)
        if anchor is None:
            anchor = self._anchors[category] = await self._read_anchor(category, sorted(expected), until, until - since)
        if until - since != anchor.window or not anchor.at <= until <= anchor.at + ANCHOR_SPAN:
            return None
        counts = {region: anchor.count(region, since, until) for region in dict.fromkeys(regions)}
        return {region: n for region, n in counts.items() if n > 0}

    async def _read_anchor(self, category: str, regions: list[str], at: datetime, window: timedelta) -> _Anchor:
        since = at - window
        params = {
            "category": category,
            "regions": regions,
            "since": since,
            "until": at,
            "since_end": since + ANCHOR_SPAN,
            "until_end": at + ANCHOR_SPAN,
        }
        anchor = _Anchor(at, window, {}, {}, {})
        for region, at_, n in await self.session.execute(_ANCHORED, params):
            if at_ is None:
                anchor.counts[region] = int(n)
                continue
            t = stored_at(at_)
            (anchor.leaving if t <= since + ANCHOR_SPAN else anchor.entering).setdefault(region, []).append(t)
        for times in (*anchor.leaving.values(), *anchor.entering.values()):
            times.sort()
        return anchor
