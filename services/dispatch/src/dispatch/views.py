"""The read side: what departments, coordination institutions and admins see. Opens a unit of work, never commits;
requesters show masked, never with their raw identity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, RowMapping

from caseflow_common.auth import Principal
from caseflow_common.contracts.escalation import Rung
from caseflow_common.db import as_utc
from caseflow_common.http import PageParams
from dispatch.domain import CaseStatus
from dispatch.read_repository import RUNNING_STATES, QueueQuery
from dispatch.reference import Reference
from dispatch.scope import Scoped, load_scoped
from dispatch.uow import DispatchRuntime, DispatchUnitOfWork


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


def running_deadlines(clocks: list[dict[str, Any]], unit: str) -> dict[str, datetime]:
    """The running deadlines that concern the unit, by clock kind (the earliest where a kind runs twice): its own
    clocks when it has any on the case, else those of the unit holding the case; paused and met clocks do not run."""
    own = any(c["unit"] == unit for c in clocks)
    due: dict[str, datetime] = {}
    for c in clocks:
        relevant = c["unit"] == unit if own else c["role"] == "holder"
        if relevant and c["state"] in RUNNING_STATES and c["deadline"] is not None:
            due[c["kind"]] = min(due.get(c["kind"], c["deadline"]), c["deadline"])
    return due


def queue_item(
    row: Mapping[str, Any] | RowMapping,
    role: str,
    ref: Reference,
    *,
    clocks: list[dict[str, Any]],
    supervision: list[dict[str, Any]],
    unit: str,
    now: datetime,
) -> dict[str, Any]:
    """One line of a queue, of the summary's stream and of the live stream: the case summary with its running
    deadlines (clock kind -> due time), the earliest of them, whether it has passed, and the open supervision."""
    due = running_deadlines(clocks, unit)
    first = min(due.values(), default=None)
    return {
        **summary(row, role, ref),
        "deadlines": {kind: _time(at) for kind, at in due.items()},
        "next_deadline": _time(first),
        "overdue": first is not None and first < now,
        "open_supervision": [
            {k: _time(v) if isinstance(v, datetime) else v for k, v in a.items()} for a in supervision
        ],
        "change_id": row.get("change_seq"),
    }


async def queue_items(
    uow: DispatchUnitOfWork, unit: str, rows: Sequence[Row[Any]], ref: Reference, now: datetime
) -> list[dict[str, Any]]:
    """Queue items of these stored cases as the unit sees them (its role, clocks and open supervision)."""
    ids = [r.case_id for r in rows]
    roles = await uow.reads.roles_of(unit, [r.case_id for r in rows if r.unit != unit])
    clocks = await uow.reads.clocks_of(ids)
    supervision = await uow.reads.open_supervision_of(ids)
    return [
        queue_item(
            r._mapping,
            r.role if r.unit == unit else roles.get(r.case_id, "none"),
            ref,
            clocks=clocks.get(r.case_id, []),
            supervision=supervision.get(r.case_id, []),
            unit=unit,
            now=now,
        )
        for r in rows
    ]


async def queue(rt: DispatchRuntime, who: Principal, paging: PageParams, query: QueueQuery) -> dict[str, Any]:
    """One page of the cases the caller's unit handles, assists or coordinates, as the query asks."""
    unit, ref, now = who.unit or "", rt.context.reference, rt.clock()
    query = replace(query, offset=paging.offset, limit=paging.page_size)
    async with rt.uow() as uow:
        await uow.read_snapshot()  # the row's change number and its clocks and supervision, as of one moment
        rows, total = await uow.reads.queue(unit, query, now)
        items = await queue_items(uow, unit, rows, ref, now)
    return {"items": items, "total": total, "page": paging.page, "page_size": paging.page_size}


async def work_summary(rt: DispatchRuntime, who: Principal) -> dict[str, Any]:
    """The caller's unit at a glance: its cases by status, overdue, falling due by the end of the city's day, and
    the open supervision actions addressed to it by rung."""
    unit, now = who.unit or "", rt.clock()
    zone = rt.context.city_zone
    local = now.astimezone(zone)
    day_end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    async with rt.uow() as uow:
        await uow.read_snapshot()
        counts = await uow.reads.unit_summary(unit, now, day_end)
    by_status = {s.value: counts["by_status"].get(s.value, 0) for s in CaseStatus}
    by_rung = {r.value: counts["open_supervision"].get(r.value, 0) for r in Rung.ladder()}
    other = sum(n for rung, n in counts["open_supervision"].items() if rung not in by_rung)
    return {
        "unit": unit,
        "as_of": now.isoformat(),
        "day": local.date().isoformat(),
        "timezone": str(zone),
        "total": sum(counts["by_status"].values()),
        "by_status": by_status,
        "overdue": counts["overdue"],
        "due_today": counts["due_today"],
        "open_supervision": {**by_rung, **({Rung.OTHER.value: other} if other else {})},
        "open_supervision_total": sum(by_rung.values()) + other,
    }


async def case(rt: DispatchRuntime, case_id: str, who: Principal) -> dict[str, Any]:
    """The full view of one case in the caller's scope: the queue item, its clocks, coordination, repeats,
    supervision and the action log."""
    async with rt.uow() as uow:
        await uow.read_snapshot()  # the row's change number and its clocks and supervision, as of one moment
        scoped = await load_scoped(uow.cases, case_id, who.unit)
        facts = scoped.file.facts
        assignments = await uow.reads.assignments_of(case_id)
        merged = await uow.reads.merged_into(case_id)
        alerts = await uow.reads.alerts_of(case_id)
        actions = await uow.reads.actions_of(case_id)
        clocks = (await uow.reads.clocks_of([case_id])).get(case_id, [])
        supervision = (await uow.reads.open_supervision_of([case_id])).get(case_id, [])
    ref = rt.context.reference
    view = queue_item(
        facts, scoped.role, ref, clocks=clocks, supervision=supervision, unit=who.unit or "", now=rt.clock()
    )
    view.update(
        clocks=[{k: _time(v) if isinstance(v, datetime) else v for k, v in c.items()} for c in clocks],
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
