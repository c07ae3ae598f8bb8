"""Pattern triggers beyond single-case clocks, addressed to the coordination institution of the level.

- repeat: repeat requests about the same place and category merged into one open case (重复诉求);
- hotspot: many cases of one category in one region within a sliding window (SZ Art. 21 early warning of
  高发频发 issues; GZ Art. 48(3) 在较短时间内连续发生);
- low satisfaction: a unit's satisfaction rate over its latest evaluations below a threshold.
Repeats and hotspots are graded (SZ Art. 21 分级预警): each level has its own threshold, and reaching a higher level
raises a warning of its own.  Hotspots of crime-clue categories also reach the public-security unit of the area
(SZ Art. 21: 公安机关 warn of 高发频发 crime such as telecom fraud).
Every warning id is derived from (kind, key, window bucket, level), so a warning fires once per window and level
however often, and on however many replicas, the check runs.  The caller maps regions and units to units.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from caseflow_common.contracts.escalation import PatternKind
from caseflow_common.contracts.intake import Satisfaction
from escalation.domain.calendar import UTC

_ID_NAMESPACE = uuid.UUID("0b5a3e8c-2f41-5d7a-8c6e-9d1f2a3b4c5e")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CoordinationLookup = Callable[[str], str | None]
# (category, region) -> the units a warning about them also reaches besides coordination
NoticeLookup = Callable[[str, str], tuple[str, ...]]


def _no_notice(category: str, region: str) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Grading:
    """Ascending counts at which warning levels 1, 2, 3, ... are reached (SZ Art. 21 分级预警)."""

    thresholds: tuple[int, ...]

    def __post_init__(self) -> None:
        t = self.thresholds
        if not t or any(n < 1 for n in t) or any(b <= a for a, b in zip(t, t[1:], strict=False)):
            raise ValueError(f"warning levels need ascending positive thresholds, got {list(t)}")

    @classmethod
    def doubling(cls, first: int, levels: int = 3) -> Grading:
        """Level 1 at `first`, each further level at twice the previous count."""
        return cls(tuple(first * 2**n for n in range(levels)))

    def level(self, count: int) -> int:
        """The level `count` reaches (0: below the first threshold)."""
        return sum(count >= t for t in self.thresholds)


def _levelled(bucket: str, level: int) -> str:
    # level 1 keeps the bucket of ungraded warnings: the same warning, whether levels are configured or not
    return bucket if level <= 1 else f"{bucket}|L{level}"


@dataclass(frozen=True)
class PatternWarning:
    """A pattern worth the coordination institution's attention."""

    id: str
    kind: PatternKind
    coordination_unit: str | None
    window_start: datetime
    window_end: datetime
    count: int
    case_ids: tuple[str, ...]
    region_code: str | None = None
    category: str | None = None
    unit: str | None = None
    rate: float | None = None
    level: int = 1
    notify_units: tuple[str, ...] = ()


def warning_id(kind: PatternKind, key: str, bucket: str) -> str:
    """Deterministic id per (kind, key, window bucket)."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{kind}|{key}|{bucket}"))


def _bucket(now: datetime, window: timedelta) -> int:
    return (now.astimezone(UTC) - _EPOCH) // window


# --- repeats -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatPolicy:
    """An open case with at least `threshold` repeat reports merged into it is a pattern; `levels` grade it
    (default: level 1 at the threshold, 2 at twice, 3 at four times)."""

    threshold: int = 3
    levels: tuple[int, ...] = ()

    @property
    def grading(self) -> Grading:
        return Grading(self.levels) if self.levels else Grading.doubling(self.threshold)


@dataclass(frozen=True)
class OpenCase:
    """An open case and the repeat reports merged into it."""

    case_id: str
    cycle: int
    category: str
    region_code: str
    opened_at: datetime
    repeat_case_ids: tuple[str, ...] = ()


def repeat_warnings(
    cases: Iterable[OpenCase],
    now: datetime,
    coordination_unit_of: CoordinationLookup,
    policy: RepeatPolicy | None = None,
) -> list[PatternWarning]:
    """One warning per open case cycle whose merged repeats reach the threshold."""
    policy = policy or RepeatPolicy()
    grading = policy.grading
    found = []
    for case in cases:
        count = len(set(case.repeat_case_ids))
        level = grading.level(count)
        if level == 0:
            continue
        found.append(
            PatternWarning(
                warning_id(PatternKind.REPEAT, case.case_id, _levelled(f"cycle-{case.cycle}", level)),
                PatternKind.REPEAT,
                coordination_unit_of(case.region_code),
                case.opened_at,
                now.astimezone(UTC),
                count,
                (case.case_id, *sorted(set(case.repeat_case_ids))),
                case.region_code,
                case.category,
                level=level,
            )
        )
    return found


# --- hotspots ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotspotPolicy:
    """At least `threshold` cases of one category in one region within `window`; `levels` grade it (default:
    level 1 at the threshold, 2 at twice, 3 at four times)."""

    threshold: int = 10
    window: timedelta = timedelta(days=7)
    levels: tuple[int, ...] = ()

    @property
    def grading(self) -> Grading:
        return Grading(self.levels) if self.levels else Grading.doubling(self.threshold)


@dataclass(frozen=True)
class CaseSighting:
    """A received case: its category and the regions it counts in (e.g. its street and its district)."""

    case_id: str
    category: str
    received_at: datetime
    region_codes: tuple[str, ...]


def hotspot_warning_id(category: str, region: str, now: datetime, policy: HotspotPolicy, level: int) -> str:
    """The id of the hotspot warning of ``level`` for (category, region) in the window bucket of ``now``."""
    bucket = f"{policy.window.total_seconds():.0f}s-{_bucket(now, policy.window)}"
    return warning_id(PatternKind.HOTSPOT, f"{category}|{region}", _levelled(bucket, level))


def hotspot_levels(
    counts: Mapping[str, int], category: str, now: datetime, policy: HotspotPolicy | None = None
) -> dict[str, str]:
    """From the number of cases of ``category`` per region in the window ending at ``now``: the regions that reach
    a level, each with the id of that level's warning (what ``hotspot_warnings`` would raise for them)."""
    policy = policy or HotspotPolicy()
    grading = policy.grading
    reached = {}
    for region, count in counts.items():
        if (level := grading.level(count)) > 0:
            reached[region] = hotspot_warning_id(category, region, now, policy, level)
    return reached


def hotspot_warnings(
    cases: Iterable[CaseSighting],
    now: datetime,
    coordination_unit_of: CoordinationLookup,
    policy: HotspotPolicy | None = None,
    notify_of: NoticeLookup = _no_notice,
) -> list[PatternWarning]:
    """One warning per (category, region) and level reached in the window ending at `now`."""
    policy = policy or HotspotPolicy()
    grading = policy.grading
    start = now.astimezone(UTC) - policy.window
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for case in cases:
        if start < case.received_at <= now:
            for region in case.region_codes:
                groups[(case.category, region)].add(case.case_id)
    found = []
    for (category, region), ids in sorted(groups.items()):
        level = grading.level(len(ids))
        if level == 0:
            continue
        found.append(
            PatternWarning(
                hotspot_warning_id(category, region, now, policy, level),
                PatternKind.HOTSPOT,
                coordination_unit_of(region),
                start,
                now.astimezone(UTC),
                len(ids),
                tuple(sorted(ids)),
                region,
                category,
                level=level,
                notify_units=notify_of(category, region),
            )
        )
    return found


# --- satisfaction --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SatisfactionPolicy:
    """A unit whose last `last` evaluations are satisfied less than `threshold` of the time."""

    threshold: float = 0.8
    last: int = 10
    window: timedelta = timedelta(days=7)
    # 满意率 as commonly assessed counts 满意 and 基本满意 together.
    satisfied_levels: frozenset[str] = field(
        default_factory=lambda: frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED})
    )


@dataclass(frozen=True)
class Evaluation:
    """One requester's evaluation (评价) of a unit's handling."""

    unit: str
    case_id: str
    at: datetime
    satisfaction: str


def low_satisfaction_warnings(
    evaluations: Iterable[Evaluation],
    now: datetime,
    coordination_unit_of: CoordinationLookup,
    policy: SatisfactionPolicy | None = None,
) -> list[PatternWarning]:
    """One warning per unit (per window) whose recent satisfaction rate is below the threshold."""
    policy = policy or SatisfactionPolicy()
    by_unit: dict[str, list[Evaluation]] = defaultdict(list)
    for e in evaluations:
        if e.at <= now:
            by_unit[e.unit].append(e)
    bucket = f"{policy.window.total_seconds():.0f}s-{_bucket(now, policy.window)}"
    found = []
    for unit, evs in sorted(by_unit.items()):
        if len(evs) < policy.last:
            continue
        recent = sorted(evs, key=lambda e: (e.at, e.case_id))[-policy.last :]
        rate = sum(e.satisfaction in policy.satisfied_levels for e in recent) / len(recent)
        if rate >= policy.threshold:
            continue
        found.append(
            PatternWarning(
                warning_id(PatternKind.LOW_SATISFACTION, unit, bucket),
                PatternKind.LOW_SATISFACTION,
                coordination_unit_of(unit),
                recent[0].at.astimezone(UTC),
                now.astimezone(UTC),
                len(recent),
                tuple(e.case_id for e in recent),
                unit=unit,
                rate=rate,
            )
        )
    return found


@dataclass(frozen=True)
class CrimeClues:
    """Categories whose hotspots are crime clues and also reach public security (SZ Art. 21); an entry ending in
    `*` matches every category code it begins (`clue.*`)."""

    categories: tuple[str, ...] = ("clue.*",)

    def matches(self, category: str) -> bool:
        """True when `category` is a crime clue."""
        return any(category.startswith(c[:-1]) if c.endswith("*") else category == c for c in self.categories)


@dataclass(frozen=True)
class PatternPolicies:
    """The thresholds in force, one policy per trigger (a city's choice)."""

    repeat: RepeatPolicy = field(default_factory=RepeatPolicy)
    hotspot: HotspotPolicy = field(default_factory=HotspotPolicy)
    satisfaction: SatisfactionPolicy = field(default_factory=SatisfactionPolicy)
    crime_clues: CrimeClues = field(default_factory=CrimeClues)
