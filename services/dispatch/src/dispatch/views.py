"""The read side: what departments, coordination institutions and admins see. Opens a unit of work, never commits;
requesters show masked, never with their raw identity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping

from caseflow_common.auth import Principal
from caseflow_common.db import as_utc
from caseflow_common.http import PageParams
from dispatch.domain import CaseStatus
from dispatch.reference import Reference
from dispatch.scope import Scoped, load_scoped
from dispatch.uow import DispatchRuntime


def _time(value: object) -> str | None:
    stamp = as_utc(value) if isinstance(value, datetime) else None
    return stamp.isoformat() if stamp is not None else None


def summary(facts: Mapping[str, Any] | RowMapping, role: str, ref: Reference) -> dict[str, Any]:
    """One line of a queue: the case (a stored row or a case file's facts), the caller's role on it and the routing
    decision behind it."""
    name, phone = facts.get("requester_name"), facts.get("requester_phone")
    category = ref.categories.get(facts["category"])
    return {
        "case_id": facts["case_id"],
        "status": facts["status"],
        "role": role,
        "unit": facts["unit"],
        "unit_name": ref.unit_name(facts["unit"]),
        "category": facts["category"],
        "category_name": category.name if category else "",
        "urgency": facts["urgency"],
        "channel": facts["channel"],
        "kind": facts["kind"],
        "region_code": facts["region_code"],
        "district_code": facts["district_code"],
        "description": facts["description"],
        "address": facts["address"],
        # Masked at intake and again on arrival here; anonymous and whistleblower requesters show nothing.
        "requester": {"name": name, "phone": phone} if (name or phone) else None,
        "region_codes": list(facts.get("region_codes") or [facts["region_code"]]),
        "returns": facts["returns"],
        "returned_by": list(facts.get("returned_by") or []),
        "transfers": facts["transfers"],
        # Where the case came from and why (a return, transfer, referral, coordination or police notice).
        "handover": _handover(facts, ref),
        "police_case_id": facts.get("police_case_id"),
        "linked_case_id": facts.get("linked_case_id"),
        "cycle": facts["cycle"],
        "routing": {
            "rule_id": facts["rule_id"],
            "version": facts["routing_version"],
            "reason": facts["routing_reason"],
        },
        "received_at": _time(facts["received_at"]),
        "dispatched_at": _time(facts["dispatched_at"]),
        "updated_at": _time(facts["updated_at"]),
    }


def acted(scoped: Scoped, ref: Reference) -> dict[str, Any]:
    """A case after the caller's action on it, as the caller sees it."""
    return summary(scoped.file.facts, scoped.role, ref)


async def queue(rt: DispatchRuntime, who: Principal, paging: PageParams, status: CaseStatus | None) -> dict[str, Any]:
    """One page of the cases the caller's unit handles, assists or coordinates, newest first."""
    unit, ref = who.unit or "", rt.context.reference
    async with rt.uow() as uow:
        rows, total = await uow.reads.queue(
            unit, status=status.value if status else None, offset=paging.offset, limit=paging.page_size
        )
        roles = await uow.reads.roles_of(unit, [r.case_id for r in rows if r.unit != who.unit])
    items = [summary(r._mapping, r.role if r.unit == who.unit else roles.get(r.case_id, "none"), ref) for r in rows]
    return {"items": items, "total": total, "page": paging.page, "page_size": paging.page_size}


async def case(rt: DispatchRuntime, case_id: str, who: Principal) -> dict[str, Any]:
    """The full view of one case in the caller's scope: summary, coordination, repeats, supervision, the action log."""
    async with rt.uow() as uow:
        scoped = await load_scoped(uow.cases, case_id, who.unit)
        facts = scoped.file.facts
        assignments = await uow.reads.assignments_of(case_id)
        merged = await uow.reads.merged_into(case_id)
        alerts = await uow.reads.alerts_of(case_id)
        actions = await uow.reads.actions_of(case_id)
    ref = rt.context.reference
    view = summary(facts, scoped.role, ref)
    view.update(
        replied=facts["replied"],
        resolved=facts["resolved"],
        merged_into=facts["merged_into"],
        coordination_unit=facts["coordination_unit"],
        lead_unit=next((a["unit"] for a in assignments if a["role"] == "lead"), None),
        assisting_units=[a["unit"] for a in assignments if a["role"] == "assisting"],
        # Each assisting unit's part (协办): its notes and part reply this cycle, visible to the lead.
        assisting=[_part(a, actions, facts["cycle"], ref) for a in assignments if a["role"] == "assisting"],
        notified_units=[a["unit"] for a in assignments if a["role"] == "notified"],
        repeat_count=len(merged),
        merged_case_ids=merged,
        supervision=[_alert(a) for a in alerts if a["kind"] == "supervision"],
        warnings=[_alert(a) for a in alerts if a["kind"] == "sla_warning"],
        actions=[{**a, "at": _time(a["at"])} for a in actions],
    )
    return view


async def routing(rt: DispatchRuntime, version: int | None) -> dict[str, Any] | None:
    """A stored routing version (default: the one routing new cases), or None when there is no such version."""
    async with rt.uow() as uow:
        current = await rt.context.routing.current(uow.routing, fresh=True)
        stored = await uow.routing.get(version or current.version)
    return routing_version(stored) if stored is not None else None


def routing_version(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored routing version as the admin API shows it."""
    return {
        "version": stored["version"],
        "rules": stored["rules"],
        "created_at": stored["created_at"].isoformat(),
        "created_by": stored["created_by"],
    }


def _handover(facts: Mapping[str, Any] | RowMapping, ref: Reference) -> dict[str, Any] | None:
    unit = facts.get("handed_over_by")
    if not unit:
        return None
    return {"from_unit": unit, "from_unit_name": ref.unit_name(unit), "reason": facts.get("handover_reason")}


def _part(assignment: Mapping[str, Any], actions: list[dict[str, Any]], cycle: int, ref: Reference) -> dict[str, Any]:
    unit = assignment["unit"]
    own = [a for a in actions if a["unit"] == unit and a["cycle"] == cycle]
    replied = next((a for a in own if a["action"] == "part_reply"), None)
    return {
        "unit": unit,
        "unit_name": ref.unit_name(unit),
        "assigned_at": _time(assignment["assigned_at"]),
        "notes": [{"note": a["detail"].get("note"), "at": _time(a["at"])} for a in own if a["action"] == "progress"],
        "part_reply": {"content": replied["detail"].get("content"), "at": _time(replied["at"])} if replied else None,
    }


def _alert(alert: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _time(v) if isinstance(v, datetime) else v for k, v in alert.items() if k != "kind"}
