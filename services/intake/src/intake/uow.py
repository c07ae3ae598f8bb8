"""intake's unit of work (its repository on the session) and the typed runtime every route and handler receives."""

from __future__ import annotations

from collections.abc import Sequence

from caseflow_common.events import Envelope
from caseflow_common.runtime import ServiceRuntime
from caseflow_common.uow import UnitOfWork
from intake.context import IntakeContext
from intake.read_repository import IntakeReads
from intake.repository import IntakeRepository


class IntakeUnitOfWork(UnitOfWork):
    """The unit of work with intake's repository (commands, reactions) and its read queries attached."""

    repo: IntakeRepository
    reads: IntakeReads

    def _on_enter(self) -> None:
        self.repo = IntakeRepository(self.session)
        self.reads = IntakeReads(self.session)

    async def prepare(self, envelopes: Sequence[Envelope]) -> None:
        """A consumed batch (dispatch's and escalation's events): its cases' projection rows in one statement; their
        updates and the steps written at commit, in one statement per shape."""
        await self.repo.preload_status(env.case_id for env in envelopes)
        self.repo.defer_writes()
        self.before_commit(self.repo.flush)


IntakeRuntime = ServiceRuntime[IntakeUnitOfWork, IntakeContext]
