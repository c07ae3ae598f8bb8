"""Notice to public security (GZ Art. 20 ¶3; SZ Art. 28 ¶2): a department that finds a suspected crime while handling a
case tells the police and keeps its own handling. The police get a linked case of their own, dispatched to them
(a ``CaseDispatched`` of the linked case id, reason ``police_notice``, ``linked_case_id`` naming the original case),
which they sign for, handle, reply to and close like any case; the original case records ``CasePoliceNotified``."""

from __future__ import annotations

import hashlib

from caseflow_common.auth import Principal
from dispatch.case_file import CaseFile
from dispatch.commands import finish, own
from dispatch.domain import ValidationError, WorkCase
from dispatch.scope import Scoped
from dispatch.uow import DispatchRuntime

# The facts of a case the police case starts from (the requester stays masked, or withheld as it was).
COPIED_FACTS = (
    "category",
    "urgency",
    "channel",
    "kind",
    "region_code",
    "region_codes",
    "district_code",
    "description",
    "address",
    "requester_name",
    "requester_phone",
    "received_at",
)
MAX_CASE_ID = 40


def linked_case_id(case_id: str) -> str:
    """The police case's id: the original's with a -GA suffix (a digest when that would not fit)."""
    linked = f"{case_id}-GA"
    if len(linked) <= MAX_CASE_ID:
        return linked
    return f"GA-{hashlib.sha256(case_id.encode()).hexdigest()[:24]}"


async def notify_police(
    rt: DispatchRuntime, case_id: str, who: Principal, *, reason: str, police_unit: str | None = None
) -> Scoped:
    """Notify public security of a suspected crime; the department keeps the case, the police get a linked one."""
    ctx = rt.context
    ref = ctx.reference
    async with rt.uow() as uow:
        file, now = await own(uow, case_id, who), uow.clock()
        if police_unit:
            police = ref.handling_unit(police_unit, "police_unit")
            if ref.units.get_or_raise(police).kind != ctx.crime_unit_kind:
                raise ValidationError(f"police_unit: {police} is not a {ctx.crime_unit_kind} unit")
        else:
            police = ref.police_for(file.facts["region_code"], ctx.crime_unit_kind)
        linked_id = linked_case_id(case_id)
        file.case.notify_police(who.unit or "", police, linked_id, reason, at=now)
        linked = CaseFile(
            WorkCase(case_id=linked_id, linked_case_id=case_id, handed_over_by=who.unit, handover_reason=reason),
            {name: file.facts.get(name) for name in COPIED_FACTS},
        )
        version = file.facts["routing_version"]
        linked.case.dispatch(police, at=now, routing_version=version)
        linked.changes.update(rule_id=None, routing_version=version, routing_reason="police_notice", dispatched_at=now)
        await uow.cases.add(linked, now)
        await uow.record(
            linked, linked.case.pull_events(), ref, actor=who.actor, reason="police_notice", correlation_id=case_id
        )
        return await finish(uow, ctx, file, who, now)
