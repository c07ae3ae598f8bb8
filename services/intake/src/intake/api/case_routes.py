"""Case routes (API.md, intake): a case's status for the hotline's callers (and the grid's own), the return visit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from caseflow_common.auth import Principal, Role, require
from caseflow_common.errors import not_found
from intake import visit_commands
from intake.api.deps import Runtime
from intake.api.errors import api_errors
from intake.api.limits import HotlineWriter
from intake.api.route_classes import ExplainedRoute
from intake.domain.visits import VisitIn
from intake.grid_views import GridCaseView, grid_case_view
from intake.views import CaseView, VisitOut, case_view

router = APIRouter(route_class=ExplainedRoute)

HotlineOrGrid = Annotated[Principal, Depends(require(Role.HOTLINE, Role.GRID))]


@router.get(
    "/v1/cases/{case_id}",
    tags=["cases"],
    response_model=CaseView | GridCaseView,
    responses={404: {"description": "no such case (for the grid: no case this grid system submitted)"}},
)
async def get_case(case_id: str, runtime: Runtime, principal: HotlineOrGrid) -> CaseView | GridCaseView:
    """A case's status, responsible unit, deadlines, last update, steps, reply and visits, for the hotline's callers;
    the grid reads the status and the reply of the cases it submitted (GZ Art. 16), any other case is not found."""
    async with runtime.uow() as uow:
        await uow.read_snapshot()  # the case, its steps and visits as of one moment
        if principal.role is Role.GRID:
            row = await uow.reads.grid_case(principal.subject, case_id=case_id)
            if row is None:
                raise not_found("case")
            return grid_case_view(row, runtime.context)
        case = await uow.repo.case(case_id)
        if case is None:
            raise not_found("case")
        steps = list(await uow.repo.steps(case_id))
        requester = await uow.repo.requester(case_id)
        visits = await uow.reads.visits(case_id)
    return case_view(case, steps, requester, principal.role.value, runtime.context, visits)


@router.post(
    "/v1/cases/{case_id}/visits",
    tags=["cases"],
    status_code=201,
    response_model=VisitOut,
    responses={
        404: {"description": "no such case"},
        409: {"description": "case not closed, or this cycle's visit already reached the requester"},
        422: {"description": "invalid fields (each named): an evaluation without contact, a visited_at out of range"},
        429: {"description": "too many visits from this principal; see Retry-After"},
    },
)
async def post_visit(case_id: str, body: VisitIn, runtime: Runtime, principal: HotlineWriter) -> VisitOut:
    """Record a return-visit attempt (回访) and the evaluation (评价): an attempt that did not reach the requester
    (contacted false, 联系不上) can be followed by another; dissatisfied reopens the case (GZ Art. 17)."""
    with api_errors():
        outcome = await visit_commands.record_visit(runtime, case_id, body, actor=principal.actor)
    return VisitOut(
        case_id=outcome.case_id,
        cycle=outcome.cycle,
        attempt=outcome.attempt,
        reopened=outcome.reopened,
        status=outcome.status,
    )
