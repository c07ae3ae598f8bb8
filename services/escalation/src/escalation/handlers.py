"""Events of intake and dispatch -> case facts -> recomputed clocks and pattern checks.

Every handler stores the clock-relevant fact (so clocks can be replayed under a new calendar or policy) and then
recomputes the case's clocks; the scheduler, not the handler, fires warnings and supervision.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from functools import partial

from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts import intake as i
from caseflow_common.directory_copy import store_change
from caseflow_common.events import Envelope, Payload
from caseflow_common.messaging.consumer import Handler
from escalation.context import EscalationContext
from escalation.domain.replay import CaseFact, FactKind, bounded, bounded_time
from escalation.orm import directory_changes
from escalation.pattern_checks import check_hotspot, check_repeats, check_satisfaction
from escalation.tracking import refresh_case, refresh_cases
from escalation.uow import EscalationUnitOfWork

log = logging.getLogger(__name__)


async def _record(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext, *facts: CaseFact) -> None:
    """Store the event's facts, then bring the case's clocks in line with all its facts under the rules in force."""
    now = uow.clock()
    await uow.repo.upsert_case(env.case_id)
    for n, fact in enumerate(facts):
        kept = bounded(fact, now, ctx.limits.event_skew)
        if kept is not fact:
            log.warning(
                "event time beyond this service's clock: taken as now",
                extra={"case_id": env.case_id, "event_type": env.event_type, "event_time": fact.at.isoformat()},
            )
        # one event may state several facts (a coordination names a lead and assisting units): each its own id
        event_id = env.event_id if n == 0 else uuid.uuid5(env.event_id, str(n))
        await uow.repo.add_fact(str(event_id), env.case_id, kept)
    if uow.config is None:  # once per batch: the rules change through commands, never within a batch of events
        uow.config = await ctx.config.refresh(uow.repo)
    if uow.to_refresh is None:  # an event on its own: its case's clocks now
        await refresh_case(uow, uow.config, env.case_id, now, env, ctx.assisting_kinds)
        return
    # A consumed batch: each case's clocks once, at commit, from all its facts (one ClocksUpdated, caused by its last
    # event), every case's changed clocks in one statement.
    if not uow.to_refresh:
        uow.before_commit(partial(_refresh_batch, uow, ctx))
    uow.to_refresh[env.case_id] = env


async def _refresh_batch(uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    cases, uow.to_refresh = uow.to_refresh or {}, {}
    if cases and uow.config is not None:
        await refresh_cases(uow, uow.config, cases, uow.clock(), ctx.assisting_kinds)


def _reported_at(env: Envelope, at: datetime, now: datetime, ctx: EscalationContext) -> datetime:
    """A time the requester or grid member gave: kept as a fact, but never later than this service's clock."""
    kept = bounded_time(at, now, ctx.limits.event_skew)
    if kept is not at:
        log.warning(
            "reported time beyond this service's clock: counted as now",
            extra={"case_id": env.case_id, "event_type": env.event_type},
        )
    return kept


Routed = d.CaseDispatched | d.CaseSentToCoordination


async def _dispatched_to(
    env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext, unit: str, at: datetime, routed: Routed | None
) -> None:
    """The case reached `unit`, which now holds it: its clocks start now (DOMAIN.md, clarification 2026-11-30).
    A routing event carries the case's channel, category and urgency, for a linked case with no receipt of its own."""
    await uow.repo.upsert_case(env.case_id, unit=unit)
    facts = (
        CaseFact(FactKind.DISPATCHED, at, unit, routed.channel, routed.category, routed.urgency)
        if routed is not None
        else CaseFact(FactKind.DISPATCHED, at, unit)
    )
    await _record(env, uow, ctx, facts)


# --- intake ---------------------------------------------------------------------------------------------------


async def on_case_received(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """受理: the policy of the case is chosen; its clocks start when a unit gets it. It counts towards hotspots."""
    e = env.payload_as(i.CaseReceived)
    now = uow.clock()
    reported = _reported_at(env, e.received_at, now, ctx)
    await uow.repo.upsert_case(
        env.case_id,
        channel=e.channel,
        category=e.category,
        urgency=e.urgency,
        region_code=e.region_code,
        received_at=reported,
    )
    # The requester's own time is a fact of the case, never the start of a unit's clock: a report backdated by
    # weeks must not find its unit in breach the moment it arrives (DOMAIN.md, clarification 2026-11-30).
    fact = CaseFact(FactKind.RECEIVED, env.occurred_at, None, e.channel, e.category, e.urgency)
    await _record(env, uow, ctx, fact)
    # SZ Art. 21; GZ Art. 48(3): many cases of one kind in one area within a short time.
    await check_hotspot(
        uow,
        ctx.coordination,
        ctx.patterns,
        case_id=env.case_id,
        category=e.category,
        region_path=e.region_path or [e.region_code],
        received_at=reported,
        now=now,
        causation=env,
        known=ctx.raised_warnings,
    )


async def on_case_merged(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """并单: the repeat rides on the case it joined (its own clocks stop); repeats may raise a warning."""
    e = env.payload_as(i.CaseMerged)
    now = uow.clock()
    await uow.repo.upsert_case(env.case_id, merged_into=e.into_case_id)
    await _record(env, uow, ctx, CaseFact(FactKind.CLOSED, env.occurred_at))
    await check_repeats(
        uow,
        ctx.coordination,
        ctx.patterns.repeat,
        into_case_id=e.into_case_id,
        case_id=env.case_id,
        at=_reported_at(env, e.received_at, now, ctx),
        now=now,
        causation=env,
    )


async def on_case_reopened(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """A new handling cycle: its clocks restart from zero for the unit that gets the case back."""
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
    now = uow.clock()
    at = _reported_at(env, e.visited_at, now, ctx).astimezone(UTC)
    await uow.repo.add_evaluation(case_id=env.case_id, cycle=e.cycle, unit=unit, satisfaction=e.satisfaction, at=at)
    await check_satisfaction(uow, ctx.coordination, ctx.patterns.satisfaction, unit=unit, now=now, causation=env)


# --- dispatch -------------------------------------------------------------------------------------------------


async def on_case_dispatched(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """派单: the sole or lead unit holds the case and owes its own clocks; an assisting unit (协办) its own part's."""
    e = env.payload_as(d.CaseDispatched)
    if e.role == "assisting":
        await _record(env, uow, ctx, CaseFact(FactKind.ASSISTING, e.at, e.unit))
        return
    await _dispatched_to(env, uow, ctx, e.unit, e.at, e)


async def on_case_sent_to_coordination(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """派单 to a coordination institution: it holds the case until it names a lead."""
    e = env.payload_as(d.CaseSentToCoordination)
    await _dispatched_to(env, uow, ctx, e.unit, e.at, e)


async def on_case_transferred(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """移送 (SZ Art. 25): the receiving unit gets its own clocks, 签收 first; the giver's end."""
    e = env.payload_as(d.CaseTransferred)
    if e.role == "assisting":  # an assisting unit hands its part on to the unit that holds that duty
        await _record(
            env, uow, ctx, CaseFact(FactKind.ASSIST_LEFT, e.at, e.unit), CaseFact(FactKind.ASSISTING, e.at, e.to_unit)
        )
        return
    await _dispatched_to(env, uow, ctx, e.to_unit, e.at, None)


async def on_case_coordinated(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """The coordination institution named a lead (its clocks start) and assisting units (each with its own)."""
    e = env.payload_as(d.CaseCoordinated)
    await uow.repo.upsert_case(env.case_id, unit=e.lead_unit)
    facts = [
        CaseFact(FactKind.COORDINATED, e.at, e.unit),
        CaseFact(FactKind.DISPATCHED, e.at, e.lead_unit),
        *(CaseFact(FactKind.ASSISTING, e.at, u) for u in e.assisting_units),
    ]
    await _record(env, uow, ctx, *facts)


async def on_case_part_replied(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """An assisting unit answered its part to the lead: its own clocks are met (GZ Art. 10)."""
    e = env.payload_as(d.CasePartReplied)
    await _record(env, uow, ctx, CaseFact(FactKind.ASSIST_DONE, e.at, e.unit))


async def on_case_accepted(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """签收 meets the accepting unit's sign-for."""
    e = env.payload_as(d.CaseAccepted)
    await _record(env, uow, ctx, CaseFact(FactKind.ACCEPTED, e.at, e.unit))


async def on_case_progress_noted(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """A handling note stands for the noting unit's first contact with the requester."""
    e = env.payload_as(d.CaseProgressNoted)
    await _record(env, uow, ctx, CaseFact(FactKind.CONTACTED, e.at, e.unit))


async def on_case_suspended(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """Waiting on the requester: the clocks pause."""
    await _record(env, uow, ctx, CaseFact(FactKind.SUSPENDED, env.payload_as(d.CaseSuspended).at))


async def on_case_resumed(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """The clocks run again, their deadlines moved by the pause."""
    await _record(env, uow, ctx, CaseFact(FactKind.RESUMED, env.payload_as(d.CaseResumed).at))


async def on_case_replied(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """答复 meets the replying unit's reply and first contact."""
    e = env.payload_as(d.CaseReplied)
    await _record(env, uow, ctx, CaseFact(FactKind.REPLIED, e.at, e.unit))


async def on_case_closed(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """办结 meets every clock of the cycle, assisting units' included."""
    await _record(env, uow, ctx, CaseFact(FactKind.CLOSED, env.payload_as(d.CaseClosed).at))


async def on_directory_changed(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    """A unit or region added, renamed or retired in dispatch's directory (GZ Art. 5; SZ Art. 8): kept, and from its
    effective date the coordination map answers with it (warnings to a new centre, none to a retired one)."""
    change = env.payload_as(d.DirectoryChanged)
    await store_change(uow.session, directory_changes, change, at=uow.clock())
    if ctx.directory is not None:
        ctx.directory.remember(change)  # this replica at once (committed with the batch; a redelivery is a no-op)


HANDLERS: dict[type[Payload], Handler[EscalationUnitOfWork, EscalationContext]] = {
    i.CaseReceived: on_case_received,
    i.CaseMerged: on_case_merged,
    i.CaseReopened: on_case_reopened,
    i.VisitRecorded: on_visit_recorded,
    d.CaseDispatched: on_case_dispatched,
    d.CaseSentToCoordination: on_case_sent_to_coordination,
    d.CaseTransferred: on_case_transferred,
    d.CaseCoordinated: on_case_coordinated,
    d.CasePartReplied: on_case_part_replied,
    d.CaseAccepted: on_case_accepted,
    d.CaseProgressNoted: on_case_progress_noted,
    d.CaseSuspended: on_case_suspended,
    d.CaseResumed: on_case_resumed,
    d.CaseReplied: on_case_replied,
    d.CaseClosed: on_case_closed,
    d.DirectoryChanged: on_directory_changed,
}
