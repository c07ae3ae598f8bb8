"""GET /v1/cases/{case_id}/clocks: the case's clocks for the hotline, supervisors and the case's own unit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from caseflow_common.auth import UNIT_ROLES, Principal, Role, require
from caseflow_common.errors import not_found
from escalation.clock_store import clock_from_row, clock_view
from escalation.config import ConfigStore
from escalation.domain.policy import ClockKind
from escalation.views import CaseClocks

router = APIRouter(prefix="/v1", tags=["clocks"])
_ORDER = list(ClockKind)


@router.get("/cases/{case_id}/clocks", response_model=CaseClocks)
async def case_clocks(
    case_id: str,
    request: Request,
    principal: Annotated[
        Principal, Depends(require(Role.HOTLINE, Role.SUPERVISOR, Role.DEPARTMENT, Role.COORDINATION))
    ],
) -> CaseClocks:
    """Each clock of the case: kind, deadline, state (running/paused/met/breached), policy version."""
    runtime = request.app.state.runtime
    store: ConfigStore = runtime.context.config
    async with runtime.uow() as uow:
        case = await uow.repo.case(case_id)
        # Another unit's case does not exist for the caller (SZ Art. 18: a department sees only its own cases).
        if case is None or (principal.role in UNIT_ROLES and case.unit != principal.unit):
            raise not_found("case")
        cfg = await store.refresh(uow.repo)
        rows = await uow.repo.clock_rows([case_id])
    now = runtime.clock()
    clocks = sorted((clock_from_row(r, cfg.calendar) for r in rows), key=lambda c: (c.cycle, _ORDER.index(c.kind)))
    return CaseClocks(case_id=case_id, unit=case.unit, clocks=[clock_view(c, now) for c in clocks])
