"""audit's unit of work (the record, loop, facts, figures and anchor repositories on one session) and its runtime."""

from __future__ import annotations

from collections.abc import Sequence

from audit.anchors import AnchorRepository
from audit.context import AuditContext
from audit.facts_repository import FactsRepository
from audit.figures_repository import FiguresRepository
from audit.repository import LoopRepository, RecordRepository
from caseflow_common.events import Envelope
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
        self.loops_due: dict[str, None] = {}  # cases whose loop status is recomputed at commit, last touched last
        self.records = RecordRepository(self.session)
        self.before_commit(self.records.flush)  # appends reach the database before anything reads them back
        self.loops = LoopRepository(self.session)
        self.facts = FactsRepository(self.session, at_commit=self.before_commit)  # its upserts go out at commit
        self.figures = FiguresRepository(self.session)
        self.anchors = AnchorRepository(self.session)

    async def prepare(self, envelopes: Sequence[Envelope]) -> None:
        """A consumed batch: whether its events and their causes are recorded or held, what waits on them, the
        heads and index rows of its cases, in one statement each."""
        cases = {env.case_id for env in envelopes}
        await self.records.preload(
            [str(env.event_id) for env in envelopes], {env.causation_id for env in envelopes if env.causation_id}, cases
        )
        await self.facts.preload(cases)


# The one typed runtime every route, handler and loop of audit receives.
AuditRuntime = ServiceRuntime[AuditUnitOfWork, AuditContext]
