"""intake's unit of work (its repository on the session) and the typed runtime every route and handler receives."""

from __future__ import annotations

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


IntakeRuntime = ServiceRuntime[IntakeUnitOfWork, IntakeContext]
