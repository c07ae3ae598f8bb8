"""dispatch's unit of work: the common one with dispatch's repositories attached."""

from __future__ import annotations

from caseflow_common.uow import UnitOfWork
from dispatch.repository import CaseRepository, RoutingRepository


class DispatchUnitOfWork(UnitOfWork):
    """Unit of work exposing ``cases`` and ``routing`` repositories on its session."""

    cases: CaseRepository
    routing: RoutingRepository

    def _on_enter(self) -> None:
        self.cases = CaseRepository(self.session)
        self.routing = RoutingRepository(self.session)
