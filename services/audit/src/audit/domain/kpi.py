"""Assessment figures per unit and per district (GZ Art. 47, 49; SZ Art. 55): what each figure means.

This is the specification; the service computes the figures in SQL where the rows live
(figures_repository.py), and a property test holds the two equal on generated case histories.

The cohort is the cases received in [start, end); each fact row is one case as handled by
one unit. Rates carry their numerator and denominator; a zero denominator gives rate None,
never a division error. Denominators:
- on-time sign-for: rows signed (签收), or whose sign deadline has passed by `as_of` unsigned.
  Numerator: signed at or before the deadline (signed with no deadline counts as on time).
- on-time closure: the same with closed_at / close_deadline.
- resolution: rows replied or closed; numerator: resolved is True (None counts as not resolved).
- satisfaction (满意率): every evaluation of the row, one per cycle (GZ Art. 17: a dissatisfied
  evaluation reopens the case; the next cycle is evaluated again and both count, so the dissatisfied
  one stays against the unit); numerator: those satisfied or basically_satisfied.
Unreached visits (联系不上: return visits that did not reach the requester, each attempt), returns,
transfers and supervision actions by rung are sums over the rows; an action that names
several cases of a unit is counted once per case row it is recorded on; a rung this build does not
know counts as `other`.
District figures pool the rows of the district's units; `received` counts distinct cases. A merged
request (并单) that its main case's unit answered has its own row: its requester's evaluation counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from caseflow_common.contracts.intake import Satisfaction

# The evaluations that count as satisfied (满意率): satisfied and basically satisfied.
SATISFIED_LEVELS: frozenset[str] = frozenset({Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED})


@dataclass(frozen=True, slots=True)
class UnitCaseFacts:
    """One case as handled by one unit: the facts the assessment reads."""

    case_id: str
    unit: str
    district: str
    received_at: datetime
    dispatched_at: datetime | None = None
    signed_at: datetime | None = None
    sign_deadline: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    close_deadline: datetime | None = None
    resolved: bool | None = None
    evaluations: tuple[str, ...] = ()  # the satisfaction of each cycle's evaluation
    unreached_visits: int = 0
    returns: int = 0
    transfers: int = 0
    actions_by_rung: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rate:
    """numerator / denominator, with rate None when the denominator is zero."""

    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        """The ratio, or None when nothing was due."""
        return None if self.denominator == 0 else self.numerator / self.denominator


@dataclass(frozen=True, slots=True)
class Figures:
    """Assessment figures of one unit or district for a period."""

    key: str
    received: int
    on_time_sign_for: Rate
    on_time_closure: Rate
    resolution: Rate
    satisfaction: Rate
    returns: int
    transfers: int
    actions_by_rung: Mapping[str, int]
    unreached_visits: int = 0


def _on_time(done: datetime | None, deadline: datetime | None, as_of: datetime) -> tuple[int, int]:
    """(numerator, denominator) contribution of one clock."""
    if done is not None:
        return (1 if deadline is None or done <= deadline else 0), 1
    if deadline is not None and deadline <= as_of:
        return 0, 1  # due and still not done: counts against the unit
    return 0, 0


def figures(key: str, rows: Iterable[UnitCaseFacts], as_of: datetime) -> Figures:
    """Figures over a group of rows already chosen for the period."""
    cases: set[str] = set()
    sign = [0, 0]
    close = [0, 0]
    resolved = [0, 0]
    satisfied = [0, 0]
    returns = transfers = unreached = 0
    actions: Counter[str] = Counter()
    for r in rows:
        cases.add(r.case_id)
        n, d = _on_time(r.signed_at, r.sign_deadline, as_of)
        sign[0] += n
        sign[1] += d
        n, d = _on_time(r.closed_at, r.close_deadline, as_of)
        close[0] += n
        close[1] += d
        if r.replied_at is not None or r.closed_at is not None:
            resolved[1] += 1
            resolved[0] += r.resolved is True
        satisfied[1] += len(r.evaluations)
        satisfied[0] += sum(e in SATISFIED_LEVELS for e in r.evaluations)
        unreached += r.unreached_visits
        returns += r.returns
        transfers += r.transfers
        actions.update(r.actions_by_rung)
    return Figures(
        key=key,
        received=len(cases),
        on_time_sign_for=Rate(*sign),
        on_time_closure=Rate(*close),
        resolution=Rate(*resolved),
        satisfaction=Rate(*satisfied),
        returns=returns,
        transfers=transfers,
        actions_by_rung=dict(sorted(actions.items())),
        unreached_visits=unreached,
    )


def _assess(
    rows: Iterable[UnitCaseFacts],
    key_of: Callable[[UnitCaseFacts], str],
    start: datetime,
    end: datetime,
    as_of: datetime | None,
) -> list[Figures]:
    groups: dict[str, list[UnitCaseFacts]] = defaultdict(list)
    for r in rows:
        if start <= r.received_at < end:
            groups[key_of(r)].append(r)
    when = end if as_of is None else as_of
    return [figures(k, groups[k], when) for k in sorted(groups)]


def assess_units(
    rows: Iterable[UnitCaseFacts], start: datetime, end: datetime, as_of: datetime | None = None
) -> list[Figures]:
    """Figures per unit for cases received in [start, end); clocks judged as of `as_of` (default: end)."""
    return _assess(rows, lambda r: r.unit, start, end, as_of)


def assess_districts(
    rows: Iterable[UnitCaseFacts], start: datetime, end: datetime, as_of: datetime | None = None
) -> list[Figures]:
    """Figures per district for cases received in [start, end); clocks judged as of `as_of` (default: end)."""
    return _assess(rows, lambda r: r.district, start, end, as_of)
