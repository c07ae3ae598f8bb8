"""audit's unit of work: the record, facts and loop repositories on one session."""

from __future__ import annotations

from audit.facts_repository import FactsRepository
from audit.repository import LoopRepository, RecordRepository
from caseflow_common.uow import UnitOfWork


class AuditUnitOfWork(UnitOfWork):
    """A unit of work with audit's repositories attached."""

    records: RecordRepository
    facts: FactsRepository
    loops: LoopRepository

    def _on_enter(self) -> None:
        self.records = RecordRepository(self.session)
        self.facts = FactsRepository(self.session)
        self.loops = LoopRepository(self.session)
