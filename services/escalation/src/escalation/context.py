"""What escalation was built with: the versioned rules in force, the coordination map, pattern thresholds, the
scheduler's pace, the gauges the scheduler refreshes, the clocks assisting units owe, and time limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from caseflow_common.directory_copy import DirectoryCopy
from escalation.config import ConfigStore
from escalation.coordination import PUBLIC_SECURITY_KIND, CoordinationMap
from escalation.domain.patterns import PatternPolicies
from escalation.domain.policy import ClockKind
from escalation.domain.replay import DEFAULT_ASSISTING_KINDS


@dataclass(frozen=True)
class SchedulerPace:
    """How much one scheduler transaction claims and how often the loop and the gauges run."""

    batch: int = 500
    interval_s: float = 1.0
    gauge_interval_s: float = 30.0


@dataclass
class Gauges:
    """Open clocks and those with a provisional deadline, as last counted (None before the first count)."""

    open_clocks: int | None = None
    provisional_deadlines: int | None = None


@dataclass(frozen=True)
class TimeLimits:
    """How far an event's time may run ahead of this service's clock, and how far ahead a supervisor may set a
    rectification deadline by hand."""

    event_skew: timedelta = timedelta(minutes=5)
    manual_rectification: timedelta = timedelta(days=366)


class RaisedWarnings:
    """Ids of pattern warnings known to be stored (committed), so a hotspot check at a level already raised asks the
    database nothing more than its count. Filled only after a commit; bounded (forgetting costs one query)."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit, self.known = limit, set[str]()

    def __contains__(self, warning_id: object) -> bool:
        return warning_id in self.known

    def remember(self, warning_ids: Iterable[str]) -> None:
        if len(self.known) >= self.limit:
            self.known.clear()
        self.known.update(warning_ids)


@dataclass(frozen=True)
class EscalationContext:
    """The rules store, the directory's coordination map and the thresholds every handler, loop and route shares."""

    config: ConfigStore
    # The directory in force (the files with dispatch's DirectoryChanged versions, GZ Art. 5; SZ Art. 8).
    directory: DirectoryCopy | None = None
    police_kind: str = PUBLIC_SECURITY_KIND
    patterns: PatternPolicies = field(default_factory=PatternPolicies)
    pace: SchedulerPace = field(default_factory=SchedulerPace)
    gauges: Gauges = field(default_factory=Gauges)
    assisting_kinds: tuple[ClockKind, ...] = DEFAULT_ASSISTING_KINDS
    limits: TimeLimits = field(default_factory=TimeLimits)
    raised_warnings: RaisedWarnings = field(default_factory=RaisedWarnings)

    @property
    def coordination(self) -> CoordinationMap:
        """Which institution answers for a region or unit, public security by region, areas: as in force now."""
        if self.directory is None:
            return CoordinationMap()
        return self.directory.view(CoordinationMap.of, self.police_kind)
