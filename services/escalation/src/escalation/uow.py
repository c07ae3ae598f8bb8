"""escalation's unit of work (the base one plus the repository on its session) and its typed runtime."""

from __future__ import annotations

from collections.abc import Sequence

from caseflow_common.contracts.intake import CaseReceived
from caseflow_common.events import Envelope
from caseflow_common.runtime import ServiceRuntime
from caseflow_common.uow import UnitOfWork
from escalation.config import Config
from escalation.context import EscalationContext
from escalation.repository import Repository


class EscalationUnitOfWork(UnitOfWork):
    """Unit of work with `repo`."""

    repo: Repository

    def _on_enter(self) -> None:
        self.repo = Repository(self.session)
        self.config: Config | None = None  # the rules in force, read once per unit of work (a consumed batch)
        # A consumed batch's cases whose facts changed -> the last event that changed them: their clocks are
        # recomputed once, at commit (None outside a consumed batch: at once).
        self.to_refresh: dict[str, Envelope] | None = None

    async def prepare(self, envelopes: Sequence[Envelope]) -> None:
        """A consumed batch: its cases' clocks, facts and actions in one statement each; their rows and facts written
        at commit, one statement per shape; their clocks recomputed once per case, at commit."""
        await self.repo.preload(env.case_id for env in envelopes)
        received = [typed for env in envelopes if isinstance(typed := env.typed(), CaseReceived)]
        self.repo.expect_sightings(
            {(r.category, region) for r in received for region in r.region_path or [r.region_code]}
        )
        self.to_refresh = {}
        self.before_commit(self.repo.flush)


# The one runtime every route, handler and loop of escalation receives.
EscalationRuntime = ServiceRuntime[EscalationUnitOfWork, EscalationContext]
