"""A work case as dispatch stores it: the domain's ``WorkCase`` with the facts its views and events need, and the
mapping between it and a ``work_cases`` row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from caseflow_common.db import as_utc
from dispatch.domain import CaseStatus, WorkCase

STATE_COLUMNS = (
    "unit",
    "role",
    "returns",
    "transfers",
    "cycle",
    "replied",
    "resolved",
    "coordination_unit",
    "needs_coordination",
    "merged_into",
    "handed_over_by",
    "handover_reason",
    "police_case_id",
    "linked_case_id",
)


@dataclass
class CaseFile:
    """A work case with the facts its views and events need, as stored."""

    case: WorkCase
    facts: dict[str, Any]
    row_version: int = 0
    changes: dict[str, Any] = field(default_factory=dict)  # extra columns to write on save (routing, dispatched_at)


def case_from_row(row: Any, assisting: tuple[str, ...]) -> WorkCase:
    return WorkCase(
        case_id=row.case_id,
        status=CaseStatus(row.status),
        unit=row.unit,
        role=row.role,
        returns=row.returns,
        transfers=row.transfers,
        cycle=row.cycle,
        replied=row.replied,
        resolved=row.resolved,
        assisting_units=assisting,
        coordination_unit=row.coordination_unit,
        needs_coordination=row.needs_coordination,
        suspended_from=CaseStatus(row.suspended_from) if row.suspended_from else None,
        merged_into=row.merged_into,
        returned_by=tuple(row.returned_by or ()),
        handed_over_by=row.handed_over_by,
        handover_reason=row.handover_reason,
        police_case_id=row.police_case_id,
        linked_case_id=row.linked_case_id,
    )


def stored(value: Any) -> Any:
    return as_utc(value) if isinstance(value, datetime) else value


def state_of(case: WorkCase) -> dict[str, Any]:
    state = {name: getattr(case, name) for name in STATE_COLUMNS}
    state["status"] = case.status.value
    state["suspended_from"] = case.suspended_from.value if case.suspended_from else None
    state["returned_by"] = list(case.returned_by)
    return state
