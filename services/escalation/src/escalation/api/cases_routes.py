"""GET /v1/cases/{case_id}/clocks: the case's clocks for the hotline, supervisors and the case's own unit."""

from __future__ import annotations

from fastapi import APIRouter

from caseflow_common.auth import UNIT_ROLES
from escalation.api.deps import ClockReader, Runtime
from escalation.api.errors import api_errors
from escalation.clock_store import clock_from_row, clock_view
from escalation.commands import NotFound
from escalation.domain.policy import ClockKind
from escalation.views import CaseClocks

router = APIRouter(prefix="/v1", tags=["clocks"])
_ORDER = list(ClockKind)


@router.get("/cases/{case_id}/clocks", response_model=CaseClocks)
async def case_clocks(case_id: str, runtime: Runtime, principal: ClockReader) -> CaseClocks:
    """Each clock of the case: kind, deadline, state (running/paused/met/breached), policy version."""
    with api_errors():
        async with runtime.uow() as uow:
            case = await uow.repo.case(case_id)
            # Another unit's case does not exist for the caller (SZ Art. 18: a department sees only its own cases).
            if case is None or (principal.role in UNIT_ROLES and case.unit != principal.unit):
                raise NotFound("case")
            cfg = await runtime.context.config.refresh(uow.repo)
            rows = await uow.repo.clock_rows([case_id])
    now = runtime.clock()
    clocks = sorted((clock_from_row(r, cfg.calendar) for r in rows), key=lambda c: (c.cycle, _ORDER.index(c.kind)))
    return CaseClocks(case_id=case_id, unit=case.unit, clocks=[clock_view(c, now) for c in clocks])
