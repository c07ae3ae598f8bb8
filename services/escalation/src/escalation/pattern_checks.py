"""Pattern triggers on arriving events (SZ Art. 21; GZ Art. 48(3)): each warning is stored under its
deterministic id and emitted only by the transaction that inserted it, so it fires once per window."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from caseflow_common.contracts.escalation import PatternWarningRaised
from caseflow_common.db import as_utc
from caseflow_common.events import Envelope
from escalation import metrics
from escalation.context import RaisedWarnings
from escalation.coordination import CoordinationMap
from escalation.domain.patterns import (
    CaseSighting,
    Evaluation,
    OpenCase,
    PatternPolicies,
    PatternWarning,
    RepeatPolicy,
    SatisfactionPolicy,
    hotspot_levels,
    hotspot_warnings,
    low_satisfaction_warnings,
    repeat_warnings,
)
from escalation.publishing import emit
from escalation.repository import stored_at
from escalation.uow import EscalationUnitOfWork


async def _raise(
    uow: EscalationUnitOfWork, warnings: Iterable[PatternWarning], now: datetime, causation: Envelope
) -> None:
    for w in warnings:
        row = {
            "id": w.id,
            "kind": w.kind.value,
            "coordination_unit": w.coordination_unit,
            "region_code": w.region_code,
            "category": w.category,
            "unit": w.unit,
            "window_start": w.window_start,
            "window_end": w.window_end,
            "count": w.count,
            "rate": w.rate,
            "case_ids": list(w.case_ids),
            "raised_at": now,
            "level": w.level,
        }
        if await uow.repo.insert_warning(row, w.notify_units):
            emit(
                uow,
                PatternWarningRaised(
                    warning_id=w.id,
                    kind=w.kind,
                    coordination_unit=w.coordination_unit,
                    region_code=w.region_code,
                    category=w.category,
                    unit=w.unit,
                    window_start=w.window_start,
                    window_end=w.window_end,
                    count=w.count,
                    case_ids=list(w.case_ids),
                    rate=w.rate,
                    level=w.level,
                    notify_units=list(w.notify_units),
                ),
                causation.case_id,
                now,
                causation,
            )
            uow.after_commit(metrics.PATTERN_WARNINGS.labels(w.kind.value).inc)  # a retried batch counts once


async def check_hotspot(
    uow: EscalationUnitOfWork,
    coord: CoordinationMap,
    policies: PatternPolicies,
    *,
    case_id: str,
    category: str,
    region_path: list[str],
    received_at: datetime,
    now: datetime,
    causation: Envelope,
    known: RaisedWarnings,
) -> None:
    """Count the case in every region of its path that has a coordination institution, then check each; a
    crime-clue hotspot also reaches the public-security unit of its region (SZ Art. 21)."""
    policy = policies.hotspot
    regions = [r for r in region_path if coord.has_own(r)]
    await uow.repo.add_case_regions(case_id, regions, category, received_at)
    if not regions:
        return
    at = max(now, received_at)
    # Counting first keeps a check from growing with the window's history: the cases themselves are read only
    # for a region that reaches a level whose warning is not raised yet (once per level and window, not per case).
    counts = await uow.repo.sighting_counts(category, regions, at - policy.window, at)
    reached = hotspot_levels(counts, category, at, policy)
    if not reached:
        return
    unknown = [warning for warning in reached.values() if warning not in known]
    raised = await uow.repo.warnings_present(unknown) if unknown else set()
    if raised:
        uow.after_commit(lambda: known.remember(raised))  # stored: committed, or by this transaction once it commits
    regions = [r for r, warning in reached.items() if warning not in raised and warning not in known]
    if not regions:
        return
    rows = await uow.repo.sightings(category, regions, at - policy.window, at)
    by_case: dict[str, list[str]] = {}
    times: dict[str, datetime] = {}
    for r in rows:
        by_case.setdefault(r.case_id, []).append(r.region_code)
        times[r.case_id] = stored_at(r.received_at)
    sightings = [CaseSighting(c, category, times[c], tuple(rs)) for c, rs in by_case.items()]

    def notify_of(category: str, region: str) -> tuple[str, ...]:
        police = coord.police_for(region) if policies.crime_clues.matches(category) else None
        return (police,) if police else ()

    await _raise(uow, hotspot_warnings(sightings, at, coord.for_region, policy, notify_of), now, causation)


async def check_repeats(
    uow: EscalationUnitOfWork,
    coord: CoordinationMap,
    policy: RepeatPolicy,
    *,
    into_case_id: str,
    case_id: str,
    at: datetime,
    now: datetime,
    causation: Envelope,
) -> None:
    """Record a repeat request merged into an open case and warn when repeats reach the threshold."""
    repeat_ids = await uow.repo.add_repeat(into_case_id, case_id, at)
    target = await uow.repo.case(into_case_id)
    if target is None or target.category is None or target.region_code is None:
        return  # the case itself is not known yet; the next repeat re-checks
    case = OpenCase(
        into_case_id,
        target.cycle,
        target.category,
        target.region_code,
        as_utc(target.received_at) or at,
        tuple(repeat_ids),
    )
    await _raise(uow, repeat_warnings([case], now, coord.for_region, policy), now, causation)


async def check_satisfaction(
    uow: EscalationUnitOfWork,
    coord: CoordinationMap,
    policy: SatisfactionPolicy,
    *,
    unit: str,
    now: datetime,
    causation: Envelope,
) -> None:
    """Warn when a unit's latest evaluations fall under the satisfaction threshold."""
    rows = await uow.repo.recent_evaluations(unit, policy.last)
    evaluations = [Evaluation(r.unit, r.case_id, stored_at(r.at), r.satisfaction) for r in rows]
    at = max([now, *(e.at for e in evaluations)])
    await _raise(uow, low_satisfaction_warnings(evaluations, at, coord.for_unit, policy), now, causation)
