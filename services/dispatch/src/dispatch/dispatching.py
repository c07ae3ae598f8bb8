"""Routing a case: ask the current routing table, apply the decision to the work case, count it."""

from __future__ import annotations

import logging
from datetime import datetime

from dispatch import metrics
from dispatch.domain import (
    DomainError,
    RoutingDecision,
    RoutingReason,
    RoutingTable,
    TargetKind,
    UnknownUnit,
)
from dispatch.reference import Reference
from dispatch.repository import CaseFile

log = logging.getLogger(__name__)


def decide(table: RoutingTable, ref: Reference, file: CaseFile, *, dispute: bool = False) -> RoutingDecision:
    """Where the case goes under this table; a case is never lost to bad reference data."""
    regions = [file.facts["region_code"]]
    try:
        if dispute:
            return table.coordination_for_dispute(regions, ref.tree, ref.units)
        return table.route(file.facts["category"], regions, ref.categories, ref.tree, ref.units)
    except DomainError as exc:
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


def apply_decision(file: CaseFile, decision: RoutingDecision, *, now: datetime) -> None:
    """Dispatch the case or send it to coordination, and remember which rule of which version decided it."""
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
    metrics.CASES_DISPATCHED.labels(decision.target_kind.value, decision.reason.value).inc()
    received_at = file.facts.get("received_at")
    if received_at is not None:
        metrics.DISPATCH_LATENCY.observe(max(0.0, (now - received_at).total_seconds()))
