"""Routing a case: ask the current routing table, apply the decision to the work case, count it."""

from __future__ import annotations

import logging
from datetime import datetime

from dispatch import metrics
from dispatch.case_file import CaseFile
from dispatch.domain import (
    DomainError,
    RoutingDecision,
    RoutingReason,
    RoutingTable,
    TargetKind,
    Unit,
    UnknownUnit,
)
from dispatch.domain import case_events as ev
from dispatch.domain.notices import notified_units
from dispatch.domain.returns import after_return, candidates
from dispatch.reference import Reference
from dispatch.uow import DispatchUnitOfWork

log = logging.getLogger(__name__)


def regions_of(file: CaseFile) -> list[str]:
    """Every region of the case (a report may name several), the case's own region when it names one."""
    return list(file.facts.get("region_codes") or [file.facts["region_code"]])


def decide(table: RoutingTable, ref: Reference, file: CaseFile, *, dispute: bool = False) -> RoutingDecision:
    """Where the case goes under this table; a case is never lost to bad reference data."""
    regions = regions_of(file)
    try:
        if dispute:
            return table.coordination_for_dispute(regions, ref.tree, ref.units)
        return table.route(file.facts["category"], regions, ref.categories, ref.tree, ref.units)
    except DomainError as exc:
        return _city_coordination(table, ref, exc)


def decide_after_return(table: RoutingTable, ref: Reference, file: CaseFile, *, dispute: bool) -> RoutingDecision:
    """After a 退单: back to the institution that coordinated the case, else the next candidate of the table that
    did not return it, else coordination; after the maximum of returns, coordination (a dispute, not a loop)."""
    case = file.case
    back = _back_to_institution(table, ref, file, RoutingReason.RETURNS)
    if back is not None:
        return back
    if dispute or case.linked_case_id:
        # A police case the police return is a disagreement with the department that notified them: coordination.
        return decide(table, ref, file, dispute=True)
    try:
        return after_return(
            table,
            file.facts["category"],
            regions_of(file),
            ref.categories,
            ref.tree,
            ref.units,
            excluded=case.returned_by,
        )
    except DomainError as exc:
        return _city_coordination(table, ref, exc)


def decide_after_retirement(table: RoutingTable, ref: Reference, file: CaseFile) -> RoutingDecision:
    """A retired unit's open case (GZ Art. 5; SZ Art. 8), under the directory without that unit: back to the
    institution that coordinated it, else the next candidate of the routing table that did not return it, else the
    coordination institution of the case's area."""
    back = _back_to_institution(table, ref, file, RoutingReason.NO_RULE)
    if back is not None:
        return back
    regions = [code for code in regions_of(file) if code in ref.tree] or [ref.tree.root.code]
    found = candidates(table, file.facts["category"], regions, ref.categories, ref.tree, ref.units)
    covering = ref.tree.lowest_covering(regions)
    for unit, rule_id in found:
        if unit.code not in file.case.returned_by:
            return RoutingDecision(
                target_unit=unit.code,
                target_kind=TargetKind.DEPARTMENT,
                reason=RoutingReason.RULE if rule_id else RoutingReason.SUSPECTED_CRIME,
                routing_version=table.version,
                region_code=covering.code,
                rule_id=rule_id,
            )
    institution = ref.units.coordination_for(covering.code, ref.tree)
    if institution is None:
        raise UnknownUnit(f"no coordination institution covers region {covering.code}")
    return _to_institution(table, institution, RoutingReason.NO_RULE, covering.code)


def _back_to_institution(
    table: RoutingTable, ref: Reference, file: CaseFile, reason: RoutingReason
) -> RoutingDecision | None:
    code = file.case.coordination_unit
    institution = ref.units.get(code) if code else None
    return _to_institution(table, institution, reason, institution.region) if institution is not None else None


def _to_institution(table: RoutingTable, institution: Unit, reason: RoutingReason, region: str) -> RoutingDecision:
    return RoutingDecision(
        target_unit=institution.code,
        target_kind=TargetKind.COORDINATION,
        reason=reason,
        routing_version=table.version,
        region_code=region,
        coordination_level=institution.level,
    )


async def send_notices(uow: DispatchUnitOfWork, ref: Reference, file: CaseFile, *, now: datetime) -> list[ev.CaseEvent]:
    """Read-only notices to the units the category names (SZ Art. 44: the mental-health centre); their events."""
    category = ref.categories.get(file.facts["category"])
    if category is None or not category.notify_unit_kinds:
        return []
    case, events = file.case, list[ev.CaseEvent]()
    for unit in notified_units(category, file.facts["region_code"], ref.tree, ref.units):
        if unit.code == case.unit:
            continue
        await uow.cases.assign(case.case_id, unit.code, cycle=case.cycle, role="notified", at=now)
        events.append(
            ev.CaseNoticeSent(
                case_id=case.case_id, at=now, cycle=case.cycle, unit=unit.code, basis=category.notice_basis
            )
        )
    return events


def _city_coordination(table: RoutingTable, ref: Reference, exc: DomainError) -> RoutingDecision:
    # Unknown category or region: the city's coordination institution sorts it out (GZ Art. 10).
    log.warning("routing fell back to the city coordination institution", extra={"reason": exc.reason})
    unit = ref.units.coordination_for(ref.tree.root.code, ref.tree)
    if unit is None:
        raise UnknownUnit("no coordination institution at the city level") from exc
    return RoutingDecision(
        target_unit=unit.code,
        target_kind=TargetKind.COORDINATION,
        reason=RoutingReason.NO_RULE,
        routing_version=table.version,
        region_code=ref.tree.root.code,
        coordination_level=unit.level,
    )


def apply_decision(
    uow: DispatchUnitOfWork,
    file: CaseFile,
    decision: RoutingDecision,
    *,
    now: datetime,
    accepted_at: datetime | None = None,
) -> None:
    """Dispatch the case or send it to coordination, and remember which rule of which version decided it; counted
    once the unit of work commits. ``accepted_at``, given for a case's first routing, is when intake accepted it
    (受理): the dispatch latency runs from then, never from the requester's own time (which may lie weeks back)."""
    case = file.case
    if decision.target_kind is TargetKind.DEPARTMENT:
        case.dispatch(
            decision.target_unit,
            at=now,
            role=decision.role.value,
            rule_id=decision.rule_id,
            routing_version=decision.routing_version,
        )
    else:
        level = decision.coordination_level.value if decision.coordination_level else ""
        case.send_to_coordination(
            decision.target_unit,
            at=now,
            level=level,
            reason=decision.reason.value,
            routing_version=decision.routing_version,
        )
    file.changes.update(
        rule_id=decision.rule_id,
        routing_version=decision.routing_version,
        routing_reason=decision.reason.value,
        dispatched_at=now,
    )
    uow.after_commit(metrics.CASES_DISPATCHED.labels(decision.target_kind.value, decision.reason.value).inc)
    if accepted_at is not None:
        latency = max(0.0, (now - accepted_at).total_seconds())
        uow.after_commit(lambda: metrics.DISPATCH_LATENCY.observe(latency))
