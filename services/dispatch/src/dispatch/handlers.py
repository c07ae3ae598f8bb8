"""dispatch event handlers: CaseReceived -> routing decision -> CaseDispatched / CaseSentToCoordination."""

from __future__ import annotations

from caseflow_common.contracts.dispatch import CaseDispatched, CaseSentToCoordination
from caseflow_common.contracts.intake import CaseReceived
from caseflow_common.events import SYSTEM, Envelope, new_event
from caseflow_common.uow import UnitOfWork
from sqlalchemy import insert, select

from dispatch.orm import work_cases
from dispatch.routing_slice import Directory, route


def on_case_received(directory: Directory):  # type: ignore[no-untyped-def]
    async def handle(env: Envelope, uow: UnitOfWork) -> None:
        """Route a new case to its department, or to the coordination institution."""
        event: CaseReceived = env.typed()  # type: ignore[assignment]
        exists = (await uow.session.execute(select(work_cases.c.case_id).where(work_cases.c.case_id == env.case_id))).first()
        if exists:
            return  # already routed (a replay of the same case under another event id)
        decision = route(directory, event.category, event.region_path or [event.region_code])
        now = uow.clock()
        await uow.session.execute(insert(work_cases).values(
            case_id=env.case_id, status="coordinating" if decision.coordination else "dispatched", unit=decision.unit,
            category=event.category, urgency=event.urgency, channel=event.channel, region_code=event.region_code,
            description=event.description, received_at=event.received_at, updated_at=now, returns=0, cycle=1,
            rule_id=decision.rule_id, routing_version=decision.version))
        common = dict(unit=decision.unit, at=now, unit_name=directory.units[decision.unit].name,
                      routing_version=decision.version, category=event.category, urgency=event.urgency,
                      channel=event.channel, region_code=event.region_code, received_at=event.received_at,
                      district_code=directory.district_of(event.region_path))
        payload = (CaseSentToCoordination(level=directory.units[decision.unit].level, reason=decision.reason, **common)
                   if decision.coordination else CaseDispatched(rule_id=decision.rule_id, **common))
        uow.emit(new_event(payload, case_id=env.case_id, producer="dispatch", actor=SYSTEM, occurred_at=now,
                           causation=env))

    return handle
