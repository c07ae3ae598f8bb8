"""The directory's use cases: record a change (admin; add, rename, retire a unit or region, GZ Art. 5; SZ Art. 8),
store the files as the seed at start-up, and run the effects of changes once in force: a retired unit's open cases are
re-routed as a re-dispatch is (by the routing table to the next candidate, else the coordination institution of the
area), so escalation starts the new unit's own clocks and audit records the move."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from caseflow_common.auth import Principal
from caseflow_common.contracts.dispatch import DIRECTORY_RECORD, DirectoryChanged, DirectoryEntry
from caseflow_common.events import SYSTEM, new_event
from dispatch.dispatching import apply_decision, decide_after_retirement
from dispatch.domain import RoutingTable, TargetKind, ValidationError
from dispatch.domain.directory_log import ChangeOp, DirectoryChange, DirectoryConflict, DirectoryState
from dispatch.payloads import PRODUCER
from dispatch.reference import Reference
from dispatch.repository import ConcurrentUpdate
from dispatch.uow import DispatchRuntime, DispatchUnitOfWork

log = logging.getLogger(__name__)
# An effective date may lie this far back (clock skew between the editor and us); history is never rewritten.
PAST_SKEW = timedelta(minutes=5)
BATCH, MAX_BATCHES = 100, 1000  # a retired unit's open cases, re-routed a batch per transaction


async def record_change(
    rt: DispatchRuntime,
    op: ChangeOp,
    code: str,
    data: dict[str, Any],
    *,
    effective_from: datetime | None,
    base_version: int | None,
    who: Principal,
) -> dict[str, Any]:
    """Check the change against the whole timeline and the routing table, store it as the next version; once
    stored, a change already in force takes effect at once (a future one when its date comes). The stored version,
    with the number of open cases re-routed meanwhile."""
    store, routing = rt.context.directory, rt.context.routing
    async with rt.uow() as uow:
        await store.refresh(uow.directory, fresh=True)
        now = uow.clock()
        effective = effective_from or now
        if effective < now - PAST_SKEW:
            raise ValidationError("effective_from: a change takes effect now or later; the past is not rewritten")
        change, final = store.propose(op, code, data, effective_from=effective, base_version=base_version)
        table = await routing.current(uow.routing, fresh=True)
        _check_routing(rt, table, change, store.build(final, change.version))
        if op in {ChangeOp.ADD_UNIT, ChangeOp.ADD_REGION}:
            # What is stored is the entry as checked (a region's level filled in from its parent's).
            entries = final.units if op is ChangeOp.ADD_UNIT else final.regions
            data = {k: v for k, v in entries[code].items() if k != "code"}
            change = dataclasses.replace(change, data=data)
        by = f"{who.role}:{who.subject}"
        await uow.directory.add(change.version, op=op, code=code, data=data, effective_from=effective, at=now, by=by)
        # The services keeping a copy (escalation, intake) learn the change with its date (one partition, in order).
        uow.emit(
            new_event(
                _published(change, final),
                case_id=DIRECTORY_RECORD,
                producer=PRODUCER,
                actor=who.actor,
                occurred_at=now,
            )
        )
        await uow.commit()
        store.remember(change)
    if effective <= now:
        await apply_due(rt)  # the periodic loop may have run this version's effects first: the count is kept
    moved = store.rerouted.get(change.version, 0)
    async with rt.uow() as uow:
        stored = await uow.directory.get(change.version)
    if stored is None:
        raise RuntimeError(f"directory version {change.version} vanished after it was stored")
    return {**stored, "rerouted_cases": moved}


def _published(change: DirectoryChange, final: DirectoryState) -> DirectoryChanged:
    """The change as the services keeping a copy read it: the entry as this change leaves it."""
    units = change.op in {ChangeOp.ADD_UNIT, ChangeOp.RENAME_UNIT, ChangeOp.RETIRE_UNIT}
    entries = {**final.retired_units, **final.units} if units else {**final.retired_regions, **final.regions}
    record = dict(entries.get(change.code) or {})
    if "name" in change.data:
        record["name"] = change.data["name"]  # a rename's own name, not a later one's
    return DirectoryChanged(
        directory_version=change.version,
        op=change.op.value,
        code=change.code,
        effective_from=change.effective_from,
        entry=DirectoryEntry.model_validate(record) if record else None,
        reason=change.data.get("reason"),
        replaced_by=change.data.get("replaced_by"),
    )


def _check_routing(rt: DispatchRuntime, table: RoutingTable, change: DirectoryChange, final: Reference) -> None:
    """409 when the routing table would fail once the change is in force: a retired unit still named without a
    replacement, a retired region still routed, a kind left with no unit to serve a rule's regions."""
    if change.op not in {ChangeOp.RETIRE_UNIT, ChangeOp.RETIRE_REGION}:
        return
    recorded = rt.context.directory.as_of(None)
    before = set(table.validate(recorded.categories, recorded.tree, recorded.units))
    after_table = _with_replacement(table, change)
    broken = [p for p in after_table.validate(final.categories, final.tree, final.units) if p not in before]
    if broken:
        what = "unit" if change.op is ChangeOp.RETIRE_UNIT else "region"
        hint = " (name replaced_by, or change the routing table first)" if what == "unit" else ""
        raise DirectoryConflict(f"the routing table still needs {what} {change.code}{hint}", broken)


def _with_replacement(table: RoutingTable, change: DirectoryChange) -> RoutingTable:
    """The table with a retired unit's explicit rules naming its replacement (the table as it stays otherwise)."""
    replacement = change.data.get("replaced_by") if change.op is ChangeOp.RETIRE_UNIT else None
    if replacement is None:
        return table
    rules = [r.model_copy(update={"unit": replacement}) if r.unit == change.code else r for r in table.rules]
    return RoutingTable(table.version, rules, crime_unit_kind=table.crime_unit_kind)


async def seed_directory(rt: DispatchRuntime) -> None:
    """Start-up step: store the directory files as version 1 unless stored already; load the stored log."""
    store = rt.context.directory
    try:
        async with rt.uow() as uow:
            if await store.seed(uow.directory, now=uow.clock()):
                await uow.commit()
    except IntegrityError:
        log.info("another replica stored the directory seed first")
    async with rt.uow() as uow:
        await store.refresh(uow.directory, fresh=True)


async def apply_due(rt: DispatchRuntime) -> int:
    """Run the effects of every version in force whose effects have not run (once, whichever replica comes first);
    the number of cases re-routed."""
    store, moved = rt.context.directory, 0
    async with store.applying:  # the periodic loop and an admin request: one pass at a time
        async with rt.uow() as uow:
            await store.refresh(uow.directory, fresh=True)
            due = await uow.directory.due(uow.clock())
        for version in due:
            change = store.get(version)
            if change is None:
                continue
            if change.op is ChangeOp.RETIRE_UNIT:
                await _replace_in_routing(rt, change)
                store.rerouted[version] = await _reroute_open_cases(rt, change)
                moved += store.rerouted[version]
            async with rt.uow() as uow:
                if await uow.directory.mark_applied(version, uow.clock()):
                    await uow.commit()
    return moved


async def _replace_in_routing(rt: DispatchRuntime, change: DirectoryChange) -> None:
    """A retired unit named by the routing table hands its rules to its replacement: a new routing version."""
    routing = rt.context.routing
    async with rt.uow() as uow:
        table = await routing.current(uow.routing, fresh=True)
        if change.data.get("replaced_by") is None or not any(r.unit == change.code for r in table.rules):
            return
        rules = [r.model_dump(mode="json", exclude_none=True) for r in _with_replacement(table, change).rules]
        version = table.version + 1
        await uow.routing.add(version, rules, at=uow.clock(), by=f"directory:v{change.version}")
        await uow.commit()
    routing.remember(routing.build(version, rules))


async def _reroute_open_cases(rt: DispatchRuntime, change: DirectoryChange) -> int:
    unit, moved = change.code, 0
    reason = f"unit retired (directory version {change.version}): {change.data.get('reason') or 'no reason given'}"
    for _ in range(MAX_BATCHES):
        try:
            async with rt.uow() as uow:
                case_ids = await uow.directory.open_cases_of(unit, limit=BATCH)
                if not case_ids:
                    await uow.cases.end_unit_assignments(unit)  # what it assisted or was notified of
                    await uow.commit()
                    return moved
                await _reroute(uow, rt, case_ids, unit, reason)
                await uow.commit()
        except ConcurrentUpdate:
            log.info("a retired unit's case changed meanwhile; retrying", extra={"unit": unit})
            continue
        moved += len(case_ids)
    log.warning("a retired unit still holds open cases after the batch limit", extra={"unit": unit})
    return moved


async def _reroute(uow: DispatchUnitOfWork, rt: DispatchRuntime, case_ids: list[str], unit: str, reason: str) -> None:
    ctx = rt.context
    table, ref, now = await ctx.routing.current(uow.routing, fresh=True), ctx.reference, uow.clock()
    for case_id in case_ids:
        file = await uow.cases.get(case_id)
        if file is None:
            continue
        file.case.leave_retired_unit(unit, reason)
        await uow.cases.end_assignment(case_id, unit)
        decision = decide_after_retirement(table, ref, file)
        apply_decision(uow, file, decision, now=now)
        await uow.cases.save(file, now)
        redispatched = decision.target_kind is TargetKind.DEPARTMENT
        await uow.record(
            file, file.case.pull_events(), ref, actor=SYSTEM, reason="redispatch" if redispatched else None
        )
