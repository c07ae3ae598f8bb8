"""What departments and coordination institutions see of a case: requester masked, never raw identity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from caseflow_common.db import as_utc
from dispatch.reference import Reference
from dispatch.uow import DispatchUnitOfWork


def _time(value: Any) -> str | None:
    return as_utc(value).isoformat() if isinstance(value, datetime) else None


def summary(facts: Mapping[str, Any], role: str, ref: Reference) -> dict[str, Any]:
    """One line of a queue: the case, the caller's role on it and the routing decision behind it."""
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
        "returns": facts["returns"],
        "transfers": facts["transfers"],
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


async def detail(uow: DispatchUnitOfWork, facts: Mapping[str, Any], role: str, ref: Reference) -> dict[str, Any]:
    """The full view of one case: summary, coordination, repeats, supervision, the action log."""
    case_id = facts["case_id"]
    assignments = await uow.cases.assignments_of(case_id)
    merged = await uow.cases.merged_into(case_id)
    alerts = await uow.cases.alerts_of(case_id)
    actions = await uow.cases.actions_of(case_id)
    view = summary(facts, role, ref)
    view.update(
        replied=facts["replied"],
        resolved=facts["resolved"],
        merged_into=facts["merged_into"],
        coordination_unit=facts["coordination_unit"],
        lead_unit=next((a["unit"] for a in assignments if a["role"] == "lead"), None),
        assisting_units=[a["unit"] for a in assignments if a["role"] == "assisting"],
        repeat_count=len(merged),
        merged_case_ids=merged,
        supervision=[_alert(a) for a in alerts if a["kind"] == "supervision"],
        warnings=[_alert(a) for a in alerts if a["kind"] == "sla_warning"],
        actions=[{**a, "at": _time(a["at"])} for a in actions],
    )
    return view


def _alert(alert: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _time(v) if isinstance(v, datetime) else v for k, v in alert.items() if k != "kind"}
