"""GET /v1/cases/{case_id}/clocks: the case's clocks for the hotline, supervisors and the units it concerns."""

from __future__ import annotations

from fastapi import APIRouter

from caseflow_common.auth import UNIT_ROLES
from escalation.api.deps import ClockReader, Runtime
from escalation.api.errors import api_errors
from escalation.clock_store import clock_from_row, clock_view
from escalation.commands import NotFound
from escalation.domain.clock import ClockRole
from escalation.domain.policy import ClockKind
from escalation.domain.replay import parties_of
from escalation.domain.scope import visible_clocks
from escalation.views import CaseClocks

router = APIRouter(prefix="/v1", tags=["clocks"])
_ORDER = list(ClockKind)


@router.get("/cases/{case_id}/clocks", response_model=CaseClocks)
async def case_clocks(case_id: str, runtime: Runtime, principal: ClockReader) -> CaseClocks:
    """Each clock of the case: kind, deadline, state (running/paused/met/breached), policy version, unit and its
    part (holder or assisting). A department or institution reads only the clocks of its own part: the unit
    holding the case reads its own and its assisting units'; an assisting unit its own; a unit that handed the
    case on, none."""
    with api_errors():
        async with runtime.uow() as uow:
            case = await uow.repo.case(case_id)
            if case is None:
                raise NotFound("case")
            facts = await uow.repo.facts(case_id)
            cfg = await runtime.context.config.refresh(uow.repo)
            rows = await uow.repo.clock_rows([case_id])
        parties = parties_of(case_id, facts)
        clocks = [clock_from_row(r, cfg.calendar) for r in rows]
        assisting = sorted(parties.assisting)
        if principal.role in UNIT_ROLES:
            # Another unit's case does not exist for the caller (SZ Art. 18: a department sees only its own cases).
            shown = visible_clocks(clocks, parties, principal.unit)
            if shown is None:
                raise NotFound("case")
            clocks = shown
            if principal.unit and principal.unit in parties.assisting:  # an assisting unit learns only of its part
                assisting = [principal.unit]
    now = runtime.clock()
    clocks.sort(
        key=lambda c: (c.cycle, c.role is ClockRole.ASSISTING, c.started_at, c.unit or "", _ORDER.index(c.kind))
    )
    return CaseClocks(
        case_id=case_id,
        unit=parties.holder or case.unit,
        assisting_units=assisting,
        clocks=[clock_view(c, now) for c in clocks],
    )
