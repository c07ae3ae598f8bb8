"""dispatch's unit of work (the common one with dispatch's repositories and event recording) and its typed runtime."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from caseflow_common.contracts.escalation import ClocksUpdated
from caseflow_common.contracts.intake import CaseReceived
from caseflow_common.events import Actor, Envelope, new_event
from caseflow_common.runtime import ServiceRuntime
from caseflow_common.uow import UnitOfWork
from dispatch import metrics
from dispatch.case_file import CaseFile
from dispatch.context import DispatchContext
from dispatch.directory_repository import DirectoryRepository
from dispatch.domain import case_events as ev
from dispatch.payloads import ACTIONS, PRODUCER, ROUTING_ACTIONS, to_payload
from dispatch.read_repository import CaseReads
from dispatch.reference import Reference
from dispatch.repository import CaseRepository
from dispatch.routing_repository import RoutingRepository


class DispatchUnitOfWork(UnitOfWork):
    """Unit of work exposing ``cases``, ``routing``, ``directory`` and ``reads`` on its session, and recording a case's events."""

    cases: CaseRepository
    routing: RoutingRepository
    directory: DirectoryRepository
    reads: CaseReads

    # Woken after a commit that changed cases (the live streams of this process); set by the runtime.
    on_changes: Callable[[], None] | None = None

    def _on_enter(self) -> None:
        self.cases = CaseRepository(self.session)
        self.directory = DirectoryRepository(self.session)
        self.routing = RoutingRepository(self.session)
        self.reads = CaseReads(self.session)

    async def prepare(self, envelopes: Sequence[Envelope]) -> None:
        """A consumed batch: which of its new cases dispatch holds already, and when the stored clocks of the cases
        it brings clocks for were published, in one statement each."""
        received = {env.case_id for env in envelopes if env.event_type == CaseReceived.event_type}
        await self.cases.preload_presence(received)
        await self.cases.preload_published(
            {env.case_id for env in envelopes if env.event_type == ClocksUpdated.event_type}
        )

    async def commit(self) -> None:
        """Write the action log and clock lists, number the cases this unit of work changed (the change sequence),
        then commit; wake the live streams."""
        changed = bool(self.cases.touched)
        await self.cases.flush()
        await self.cases.stamp_changes(self.clock())
        await super().commit()
        if changed and self.on_changes is not None:
            self.on_changes()

    async def record(
        self,
        file: CaseFile,
        events: Sequence[ev.CaseEvent],
        ref: Reference,
        *,
        actor: Actor,
        causation: Envelope | None = None,
        reason: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        """Append the events to the case's action log, count the actions (once the unit of work commits), and put the
        published ones in the outbox."""
        for event in events:
            action = ACTIONS[type(event)]
            detail = ev.detail_of(event)
            if reason and action == "dispatched":
                detail["reason"] = reason
            await self.cases.log(
                file.case.case_id,
                cycle=event.cycle,
                action=action,
                unit=event.unit,
                actor=actor,
                at=event.at,
                detail=detail,
            )
            if action not in ROUTING_ACTIONS:
                self.after_commit(metrics.CASE_ACTIONS.labels(action).inc)
            if event.publish:
                payload = to_payload(event, file, ref, reason)
                self.emit(
                    new_event(
                        payload,
                        case_id=file.case.case_id,
                        producer=PRODUCER,
                        actor=actor,
                        occurred_at=event.at,
                        causation=causation,
                        correlation_id=correlation_id,
                    )
                )


# The one typed runtime every route, handler and loop of dispatch receives.
DispatchRuntime = ServiceRuntime[DispatchUnitOfWork, DispatchContext]
