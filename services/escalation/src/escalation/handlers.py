"""Events of intake and dispatch -> case facts -> recomputed clocks and pattern checks.

Every handler stores the clock-relevant fact (so clocks can be replayed under a new calendar or policy) and then
recomputes the case's clocks; the scheduler, not the handler, fires warnings and supervision.
"""

from __future__ import annotations

from datetime import UTC, datetime

from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts import intake as i
from caseflow_common.events import Envelope, Payload
from caseflow_common.messaging.consumer import Handler
from escalation.context import EscalationContext
from escalation.domain.replay import CaseFact, FactKind
from escalation.pattern_checks import check_hotspot, check_repeats, check_satisfaction
from escalation.tracking import refresh_case
from escalation.uow import EscalationUnitOfWork


async def _record(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext, fact: CaseFact) -> None:
    """Store the fact, then bring the case's clocks in line with all its facts under the rules in force."""
    await uow.repo.upsert_case(env.case_id)
    await uow.repo.add_fact(str(env.event_id), env.case_id, fact)
    cfg = await ctx.config.refresh(uow.repo)
    await refresh_case(uow, cfg, env.case_id, uow.clock(), env)


async def _dispatched_to(
    env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext, unit: str, at: datetime
) -> None:
    await uow.repo.upsert_case(env.case_id, unit=unit)
    await _record(env, uow, ctx, CaseFact(FactKind.DISPATCHED, at, unit))


# --- intake ---------------------------------------------------------------------------------------------------


async def on_case_received(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """受理: the case's clocks start; the case counts towards hotspots in its regions."""
    e = env.payload_as(i.CaseReceived)
    await uow.repo.upsert_case(
        env.case_id,
        channel=e.channel,
        category=e.category,
        urgency=e.urgency,
        region_code=e.region_code,
        received_at=e.received_at,
    )
    fact = CaseFact(FactKind.RECEIVED, e.received_at, None, e.channel, e.category, e.urgency)
    await _record(env, uow, ctx, fact)
    # SZ Art. 21; GZ Art. 48(3): many cases of one kind in one area within a short time.
    await check_hotspot(
        uow,
        ctx.coordination,
        ctx.patterns.hotspot,
        case_id=env.case_id,
        category=e.category,
        region_path=e.region_path or [e.region_code],
        received_at=e.received_at,
        now=uow.clock(),
        causation=env,
    )


async def on_case_merged(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """并单: the repeat rides on the case it joined (its own clocks stop); repeats may raise a warning."""
    e = env.payload_as(i.CaseMerged)
    await uow.repo.upsert_case(env.case_id, merged_into=e.into_case_id)
    await _record(env, uow, ctx, CaseFact(FactKind.CLOSED, env.occurred_at))
    await check_repeats(
        uow,
        ctx.coordination,
        ctx.patterns.repeat,
        into_case_id=e.into_case_id,
        case_id=env.case_id,
        at=e.received_at,
        now=uow.clock(),
        causation=env,
    )


async def on_case_reopened(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """A new handling cycle: its receipt-anchored clocks restart."""
    e = env.payload_as(i.CaseReopened)
    await uow.repo.upsert_case(env.case_id, cycle=e.cycle)
    await _record(env, uow, ctx, CaseFact(FactKind.REOPENED, env.occurred_at, e.unit))


async def on_visit_recorded(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """回访 / 评价: an evaluation of the handling unit counts towards its satisfaction rate."""
    e = env.payload_as(i.VisitRecorded)
    case = await uow.repo.case(env.case_id)
    unit = e.unit or (case.unit if case is not None else None)
    if e.satisfaction is None or unit is None:
        return
    await uow.repo.add_evaluation(
        case_id=env.case_id, cycle=e.cycle, unit=unit, satisfaction=e.satisfaction, at=e.visited_at.astimezone(UTC)
    )
    await check_satisfaction(
        uow, ctx.coordination, ctx.patterns.satisfaction, unit=unit, now=uow.clock(), causation=env
    )


# --- dispatch -------------------------------------------------------------------------------------------------


async def on_case_dispatched(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """派单: the clocks bind the sole or lead unit, which owes its own 签收."""
    e = env.payload_as(d.CaseDispatched)
    if e.role == "assisting":
        return  # 协办 units support the lead; the clocks bind the lead (主办)
    await _dispatched_to(env, uow, ctx, e.unit, e.at)


async def on_case_sent_to_coordination(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """派单 to a coordination institution: the clocks bind it."""
    e = env.payload_as(d.CaseSentToCoordination)
    await _dispatched_to(env, uow, ctx, e.unit, e.at)


async def on_case_transferred(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """移送: the receiving unit owes its own 签收."""
    e = env.payload_as(d.CaseTransferred)
    await _dispatched_to(env, uow, ctx, e.to_unit, e.at)


async def on_case_coordinated(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """The coordination institution named a lead unit: the clocks bind it."""
    e = env.payload_as(d.CaseCoordinated)
    await _dispatched_to(env, uow, ctx, e.lead_unit, e.at)


async def on_case_accepted(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """签收 meets sign-for."""
    await _record(env, uow, ctx, CaseFact(FactKind.ACCEPTED, env.payload_as(d.CaseAccepted).at))


async def on_case_progress_noted(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """A handling note stands for first contact with the requester."""
    await _record(env, uow, ctx, CaseFact(FactKind.CONTACTED, env.payload_as(d.CaseProgressNoted).at))


async def on_case_suspended(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """Waiting on the requester: the clocks pause."""
    await _record(env, uow, ctx, CaseFact(FactKind.SUSPENDED, env.payload_as(d.CaseSuspended).at))


async def on_case_resumed(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """The clocks run again, their deadlines moved by the pause."""
    await _record(env, uow, ctx, CaseFact(FactKind.RESUMED, env.payload_as(d.CaseResumed).at))


async def on_case_replied(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """答复 meets reply and first contact."""
    await _record(env, uow, ctx, CaseFact(FactKind.REPLIED, env.payload_as(d.CaseReplied).at))


async def on_case_closed(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """办结 meets every clock of the cycle."""
    await _record(env, uow, ctx, CaseFact(FactKind.CLOSED, env.payload_as(d.CaseClosed).at))


HANDLERS: dict[type[Payload], Handler[EscalationUnitOfWork, EscalationContext]] = {
    i.CaseReceived: on_case_received,
    i.CaseMerged: on_case_merged,
    i.CaseReopened: on_case_reopened,
    i.VisitRecorded: on_visit_recorded,
    d.CaseDispatched: on_case_dispatched,
    d.CaseSentToCoordination: on_case_sent_to_coordination,
    d.CaseTransferred: on_case_transferred,
    d.CaseCoordinated: on_case_coordinated,
    d.CaseAccepted: on_case_accepted,
    d.CaseProgressNoted: on_case_progress_noted,
    d.CaseSuspended: on_case_suspended,
    d.CaseResumed: on_case_resumed,
    d.CaseReplied: on_case_replied,
    d.CaseClosed: on_case_closed,
}
