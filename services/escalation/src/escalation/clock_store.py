"""Clocks to and from their rows, and their public view (ClockView of the contract)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from caseflow_common.contracts.escalation import ClockView, Rung, SupervisionReason
from caseflow_common.db import as_utc
from escalation.domain.calendar import TimeUnit, WorkCalendar
from escalation.domain.clock import Clock, ClockRole, Pause
from escalation.domain.ladder import SupervisionAction
from escalation.domain.policy import ClockKind, ClockSpec
from escalation.repository import stored_at


def clock_from_row(row: Row, calendar: WorkCalendar) -> Clock:
    """The domain clock a row stores, on the given calendar."""
    spec = ClockSpec(row.amount, TimeUnit(row.time_unit), row.warn_fraction)
    pauses = tuple(Pause(datetime.fromisoformat(s), datetime.fromisoformat(e) if e else None) for s, e in row.pauses)
    return Clock.restored(
        deadline=stored_at(row.deadline),
        provisional=row.provisional,
        warn_at=as_utc(row.warn_at),
        case_id=row.case_id,
        kind=ClockKind(row.kind),
        unit=row.unit,
        cycle=row.cycle,
        started_at=stored_at(row.started_at),
        spec=spec,
        policy_version=str(row.policy_version),
        calendar=calendar,
        pauses=pauses,
        met_at=as_utc(row.met_at),
        leg=row.leg,
        role=ClockRole(row.role),
    )


def clock_to_row(clock: Clock, next_due_at: datetime | None) -> dict[str, Any]:
    """The row of a clock with its durable timer."""
    return {
        "case_id": clock.case_id,
        "cycle": clock.cycle,
        "kind": clock.kind.value,
        "unit": clock.unit,
        "started_at": clock.started_at,
        "amount": float(clock.spec.amount),
        "time_unit": clock.spec.unit.value,
        "warn_fraction": clock.spec.warn_at,
        "policy_version": int(clock.policy_version),
        "pauses": [[p.start.isoformat(), p.end.isoformat() if p.end else None] for p in clock.pauses],
        "met_at": clock.met_at,
        "deadline": clock.deadline,
        "warn_at": clock.warn_at,
        "provisional": clock.provisional,
        "next_due_at": next_due_at,
        "leg": clock.leg,
        "role": clock.role.value,
    }


def row_differs(row: Row, values: dict[str, Any]) -> bool:
    """True when saving `values` would change the stored row."""
    for key, value in values.items():
        stored = getattr(row, key)
        if isinstance(stored, datetime) or isinstance(value, datetime):
            stored = as_utc(stored)
        if stored != value:
            return True
    return False


def clock_view(clock: Clock, now: datetime) -> ClockView:
    """What intake, the API and audit see of a clock at `now`."""
    return ClockView(
        kind=clock.kind.value,
        deadline=clock.deadline,
        state=clock.state_at(now).value,
        policy_version=int(clock.policy_version),
        provisional=clock.provisional,
        unit=clock.unit,
        cycle=clock.cycle,
        started_at=clock.started_at,
        warn_at=clock.warn_at,
        met_at=clock.met_at,
        role=clock.role.value,
    )


def current_clocks(clocks: Iterable[Clock]) -> list[Clock]:
    """The latest cycle's clocks of the units the case concerns now: the unit holding it (its newest leg's unit)
    and the assisting units; a unit that handed the case on no longer sees, nor is shown, its old clocks."""
    clocks = list(clocks)
    latest = max((c.cycle for c in clocks), default=0)
    cycle = [c for c in clocks if c.cycle == latest]
    holders = [c for c in cycle if c.role is ClockRole.HOLDER]
    holder = max(holders, key=lambda c: (c.started_at, c.leg)).unit if holders else None
    order = list(ClockKind)
    kept = [c for c in cycle if c.role is ClockRole.ASSISTING or c.unit == holder]
    return sorted(kept, key=lambda c: (c.role is ClockRole.ASSISTING, c.unit or "", order.index(c.kind)))


def current_views(clocks: Iterable[Clock], now: datetime) -> list[ClockView]:
    """Views of the current clocks (see current_clocks), holder first, in kind order."""
    return [clock_view(c, now) for c in current_clocks(clocks)]


def action_from_row(row: Row) -> SupervisionAction:
    """The domain action a row stores."""
    return SupervisionAction(
        row.id,
        row.case_id,
        row.cycle,
        ClockKind(row.clock_kind) if row.clock_kind else None,
        Rung(row.rung),
        row.unit,
        stored_at(row.issued_at),
        stored_at(row.rectification_deadline),
        str(row.policy_version),
        row.provisional,
        tuple(row.case_ids),
        as_utc(row.resolved_at),
        row.rectification,
        leg=row.leg,
        manual=row.manual,
        reason=SupervisionReason(row.reason) if row.reason else None,
        note=row.note,
        issued_by=row.issued_by,
    )


def action_to_row(action: SupervisionAction, policy_version: int) -> dict[str, Any]:
    """The row of a newly issued action."""
    return {
        "id": action.id,
        "case_id": action.case_id,
        "cycle": action.cycle,
        "clock_kind": action.clock_kind.value if action.clock_kind else None,
        "rung": action.rung.value,
        "unit": action.unit,
        "issued_at": action.issued_at,
        "rectification_deadline": action.rectification_deadline,
        "policy_version": policy_version,
        "provisional": action.provisional,
        "case_ids": list(action.case_ids),
        "status": action.status.value,
        "resolved_at": None,
        "resolved_by": None,
        "rectification": None,
        "leg": action.leg,
        "manual": action.manual,
        "reason": action.reason.value if action.reason else None,
        "note": action.note,
        "issued_by": action.issued_by,
    }
