"""Events of intake and dispatch -> case facts -> recomputed clocks and pattern checks.

Every handler stores the clock-relevant fact (so clocks can be replayed under a new calendar or policy) and then
recomputes the case's clocks; the scheduler, not the handler, fires warnings and supervision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts import intake as i
from caseflow_common.events import Envelope, Payload, payload_model
from escalation.config import ConfigStore
from escalation.coordination import CoordinationMap
from escalation.domain.replay import CaseFact, FactKind
from escalation.pattern_checks import PatternPolicies, check_hotspot, check_repeats, check_satisfaction
from escalation.tracking import refresh_case
from escalation.uow import EscalationUnitOfWork

if TYPE_CHECKING:
    from escalation.context import EscalationContext

Handler = Callable[[Envelope, EscalationUnitOfWork], Awaitable[None]]

# Dispatch events whose only effect on clocks is one fact at `at`.
_SIMPLE: dict[str, FactKind] = {
    "CaseAccepted": FactKind.ACCEPTED,  # 签收 meets sign-for
    "CaseProgressNoted": FactKind.CONTACTED,  # a handling note stands for first contact with the requester
    "CaseSuspended": FactKind.SUSPENDED,  # waiting on the requester: clocks pause
    "CaseResumed": FactKind.RESUMED,
    "CaseReplied": FactKind.REPLIED,
    "CaseClosed": FactKind.CLOSED,  # 办结 meets every clock of the cycle
}


class EscalationHandlers:
    """The handler map of the consumer, with the state the handlers share."""

    def __init__(self, config: ConfigStore, coordination: CoordinationMap, patterns: PatternPolicies) -> None:
        self.config, self.coordination, self.patterns = config, coordination, patterns

    def handler_map(self) -> dict[str, Handler]:
        """event_type -> handler."""
        simple = {name: self._simple for name in _SIMPLE}
        return {
            **simple,
            "CaseReceived": self.on_received,
            "CaseMerged": self.on_merged,
            "CaseReopened": self.on_reopened,
            "VisitRecorded": self.on_visit,
            "CaseDispatched": self.on_dispatched,
            "CaseSentToCoordination": self.on_dispatched,
            "CaseTransferred": self.on_transferred,
            "CaseCoordinated": self.on_coordinated,
        }

    async def _record(self, env: Envelope, uow: EscalationUnitOfWork, fact: CaseFact) -> None:
        await uow.repo.upsert_case(env.case_id)
        await uow.repo.add_fact(str(env.event_id), env.case_id, fact)
        cfg = await self.config.refresh(uow.repo)
        await refresh_case(uow, cfg, env.case_id, uow.clock(), env)

    async def _simple(self, env: Envelope, uow: EscalationUnitOfWork) -> None:
        event = env.typed()
        await self._record(env, uow, CaseFact(_SIMPLE[env.event_type], event.at))  # type: ignore[attr-defined]

    async def on_received(self, env: Envelope, uow: EscalationUnitOfWork) -> None:
        e: i.CaseReceived = env.typed()  # type: ignore[assignment]
        await uow.repo.upsert_case(
            env.case_id,
            channel=e.channel,
            category=e.category,
            urgency=e.urgency,
            region_code=e.region_code,
            received_at=e.received_at,
        )
        await self._record(env, uow, CaseFact(FactKind.RECEIVED, e.received_at, None, e.channel, e.category, e.urgency))
        # SZ Art. 21; GZ Art. 48(3): many cases of one kind in one area within a short time.
        await check_hotspot(
            uow,
            self.coordination,
            self.patterns.hotspot,
            case_id=env.case_id,
            category=e.category,
            region_path=e.region_path or [e.region_code],
            received_at=e.received_at,
            now=uow.clock(),
            causation=env,
        )

    async def on_merged(self, env: Envelope, uow: EscalationUnitOfWork) -> None:
        e: i.CaseMerged = env.typed()  # type: ignore[assignment]
        await uow.repo.upsert_case(env.case_id, merged_into=e.into_case_id)
        # The repeat rides on the case it joined: its own clocks stop there.
        await self._record(env, uow, CaseFact(FactKind.CLOSED, env.occurred_at))
        await check_repeats(
            uow,
            self.coordination,
            self.patterns.repeat,
            into_case_id=e.into_case_id,
            case_id=env.case_id,
            at=e.received_at,
            now=uow.clock(),
            causation=env,
        )

    async def on_reopened(self, env: Envelope, uow: EscalationUnitOfWork) -> None:
        e: i.CaseReopened = env.typed()  # type: ignore[assignment]
        await uow.repo.upsert_case(env.case_id, cycle=e.cycle)
        await self._record(env, uow, CaseFact(FactKind.REOPENED, env.occurred_at, e.unit))

    async def on_visit(self, env: Envelope, uow: EscalationUnitOfWork) -> None:
        e: i.VisitRecorded = env.typed()  # type: ignore[assignment]
        case = await uow.repo.case(env.case_id)
        unit = e.unit or (case.unit if case is not None else None)
        if e.satisfaction is None or unit is None:
            return
        await uow.repo.add_evaluation(
            case_id=env.case_id, cycle=e.cycle, unit=unit, satisfaction=e.satisfaction, at=e.visited_at.astimezone(UTC)
        )
        await check_satisfaction(
            uow, self.coordination, self.patterns.satisfaction, unit=unit, now=uow.clock(), causation=env
        )

    async def _dispatched_to(self, env: Envelope, uow: EscalationUnitOfWork, unit: str, at: datetime) -> None:
        await uow.repo.upsert_case(env.case_id, unit=unit)
        await self._record(env, uow, CaseFact(FactKind.DISPATCHED, at, unit))

    async def on_dispatched(self, env: Envelope, uow: EscalationUnitOfWork) -> None:
        e: d.CaseDispatched = env.typed()  # type: ignore[assignment]
        if getattr(e, "role", "sole") == "assisting":
            return  # 协办 units support the lead; the clocks bind the lead (主办)
        await self._dispatched_to(env, uow, e.unit, e.at)

    async def on_transferred(self, env: Envelope, uow: EscalationUnitOfWork) -> None:
        e: d.CaseTransferred = env.typed()  # type: ignore[assignment]
        await self._dispatched_to(env, uow, e.to_unit, e.at)  # 移送: the receiving unit owes its own 签收

    async def on_coordinated(self, env: Envelope, uow: EscalationUnitOfWork) -> None:
        e: d.CaseCoordinated = env.typed()  # type: ignore[assignment]
        await self._dispatched_to(env, uow, e.lead_unit, e.at)


async def _via_context(env: Envelope, uow: EscalationUnitOfWork, ctx: EscalationContext) -> None:
    await ctx.handlers.handler_map()[env.event_type](env, uow)


HANDLERS: dict[type[Payload], Callable[[Envelope, EscalationUnitOfWork, EscalationContext], Awaitable[None]]] = {
    model: _via_context
    for name in [
        *_SIMPLE,
        "CaseReceived",
        "CaseMerged",
        "CaseReopened",
        "VisitRecorded",
        "CaseDispatched",
        "CaseSentToCoordination",
        "CaseTransferred",
        "CaseCoordinated",
    ]
    if (model := payload_model(name, 1)) is not None
}
