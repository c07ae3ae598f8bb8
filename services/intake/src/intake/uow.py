"""intake's unit of work (its repository on the session) and the typed runtime every route and handler receives."""

from __future__ import annotations

from caseflow_common.runtime import ServiceRuntime
from caseflow_common.uow import UnitOfWork
from intake.context import IntakeContext
from intake.repository import IntakeRepository


class IntakeUnitOfWork(UnitOfWork):
    """The unit of work with intake's repository attached."""

    repo: IntakeRepository

    def _on_enter(self) -> None:
        self.repo = IntakeRepository(self.session)


IntakeRuntime = ServiceRuntime[IntakeUnitOfWork, IntakeContext]
