"""Case routes (API.md, intake): a case's status for the hotline's callers, and the return visit."""

from __future__ import annotations

from fastapi import APIRouter

from caseflow_common.errors import not_found
from intake import commands
from intake.api.deps import Hotline, Runtime
from intake.api.errors import api_errors
from intake.api.limits import HotlineWriter
from intake.api.route_classes import ExplainedRoute
from intake.domain.visits import VisitIn
from intake.views import CaseView, VisitOut, case_view

router = APIRouter(route_class=ExplainedRoute)


@router.get(
    "/v1/cases/{case_id}", tags=["cases"], response_model=CaseView, responses={404: {"description": "no such case"}}
)
async def get_case(case_id: str, runtime: Runtime, principal: Hotline) -> CaseView:
    """A case's status, responsible unit, deadlines, last update and steps, for the hotline's callers."""
    async with runtime.uow() as uow:
        case = await uow.repo.case(case_id)
        if case is None:
            raise not_found("case")
        steps = list(await uow.repo.steps(case_id))
        requester = await uow.repo.requester(case_id)
    return case_view(case, steps, requester, principal.role.value, runtime.context)


@router.post(
    "/v1/cases/{case_id}/visits",
    tags=["cases"],
    status_code=201,
    response_model=VisitOut,
    responses={404: {"description": "no such case"}, 409: {"description": "case not closed, or visited"}},
)
async def post_visit(case_id: str, body: VisitIn, runtime: Runtime, principal: HotlineWriter) -> VisitOut:
    """Record the return visit (回访) and evaluation (评价); dissatisfied reopens the case (GZ Art. 17)."""
    with api_errors():
        outcome = await commands.record_visit(runtime, case_id, body, actor=principal.actor)
    return VisitOut(case_id=outcome.case_id, cycle=outcome.cycle, reopened=outcome.reopened, status=outcome.status)
