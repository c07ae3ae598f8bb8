"""audit's unit of work (the record, loop, facts, figures and anchor repositories on one session) and its runtime."""

from __future__ import annotations

from audit.anchors import AnchorRepository
from audit.context import AuditContext
from audit.facts_repository import FactsRepository
from audit.figures_repository import FiguresRepository
from audit.repository import LoopRepository, RecordRepository
from caseflow_common.runtime import ServiceRuntime
from caseflow_common.uow import UnitOfWork


class AuditUnitOfWork(UnitOfWork):
    """A unit of work with audit's repositories attached."""

    records: RecordRepository
    loops: LoopRepository
    facts: FactsRepository
    figures: FiguresRepository
    anchors: AnchorRepository

    def _on_enter(self) -> None:
        self.records = RecordRepository(self.session)
        self.loops = LoopRepository(self.session)
        self.facts = FactsRepository(self.session)
        self.figures = FiguresRepository(self.session)
        self.anchors = AnchorRepository(self.session)


# The one typed runtime every route, handler and loop of audit receives.
AuditRuntime = ServiceRuntime[AuditUnitOfWork, AuditContext]
