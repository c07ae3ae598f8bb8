"""intake HTTP API (API.md, intake): reports, the catalogue, case status for hotline systems, return visits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from caseflow_common.auth import AnyPrincipal, Principal, Role, require
from caseflow_common.errors import not_found
from caseflow_common.http import runtime_of
from caseflow_common.runtime import ServiceRuntime
from intake import handlers, visits
from intake.context import IntakeContext, IntakeUnitOfWork
from intake.domain.catalogue_rules import validate_report
from intake.domain.reports import GridReportIn, HotlineReportIn, Report
from intake.domain.status import CaseStatus
from intake.domain.visits import VisitIn
from intake.routing import ExplainedRoute, ReportRoute, invalid_body
from intake.views import CaseView, ReportAccepted, VisitOut, case_view

router = APIRouter(route_class=ReportRoute)
cases_router = APIRouter(route_class=ExplainedRoute)


IntakeRuntime = ServiceRuntime[IntakeUnitOfWork, IntakeContext]
Runtime = Annotated[IntakeRuntime, Depends(runtime_of)]
Hotline = Annotated[Principal, Depends(require(Role.HOTLINE))]
_REPORT_RESPONSES = {
    200: {"description": "same external_id and body: the existing case", "model": ReportAccepted},
    409: {"description": "same external_id, different body"},
    413: {"description": "body over the size limit"},
    422: {"description": "malformed JSON, or invalid fields (each one named)"},
}


def context(runtime: IntakeRuntime) -> IntakeContext:
    """The service's reference data and rules."""
    return runtime.context


async def accept_report(runtime: IntakeRuntime, report: Report, *, channel: str, principal: Principal) -> JSONResponse:
    """Validate a report against the catalogue and directory, then store it; 201 new, 200 the same again."""
    ctx = context(runtime)
    errors = validate_report(report, ctx.categories, ctx.regions, reportable_levels=ctx.reportable_levels)
    if errors:
        raise invalid_body(
            None, [{"field": ".".join(str(p) for p in e.loc), "message": e.message, "type": e.code} for e in errors]
        )
    async with runtime.uow() as uow:
        result = await handlers.receive_report(uow, report, channel=channel, ctx=ctx, actor=principal.actor)
    status = CaseStatus.MERGED if result.merged_into else CaseStatus.RECEIVED
    out = ReportAccepted(
        case_id=result.case_id, status=status, received_at=result.received_at, merged_into=result.merged_into
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if result.created else 200)


@router.get("/v1/categories", tags=["catalogue"], summary="The category catalogue")
async def list_categories(runtime: Runtime, _: AnyPrincipal) -> dict:
    """Every category: code, name, group, default urgency, default department kind, channels, extra fields."""
    cats = context(runtime).categories
    return {"items": [c.model_dump() for c in cats.values()], "total": len(cats)}


@router.post(
    "/v1/hotline/reports", tags=["reports"], status_code=201, response_model=ReportAccepted, responses=_REPORT_RESPONSES
)
async def post_hotline_report(body: HotlineReportIn, runtime: Runtime, principal: Hotline) -> JSONResponse:
    """Accept a 12345 hotline report (受理)."""
    return await accept_report(runtime, body, channel="hotline", principal=principal)


@router.post(
    "/v1/grid/reports", tags=["reports"], status_code=201, response_model=ReportAccepted, responses=_REPORT_RESPONSES
)
async def post_grid_report(
    body: GridReportIn, runtime: Runtime, principal: Annotated[Principal, Depends(require(Role.GRID))]
) -> JSONResponse:
    """Accept what a grid member found on patrol (GZ Art. 16; SZ Art. 17)."""
    return await accept_report(runtime, body, channel="grid", principal=principal)


@cases_router.get(
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
    return case_view(case, steps, requester, principal.role.value, context(runtime))


@cases_router.post(
    "/v1/cases/{case_id}/visits",
    tags=["cases"],
    status_code=201,
    response_model=VisitOut,
    responses={404: {"description": "no such case"}, 409: {"description": "case not closed, or visited"}},
)
async def post_visit(case_id: str, body: VisitIn, runtime: Runtime, principal: Hotline) -> VisitOut:
    """Record the return visit (回访) and evaluation (评价); dissatisfied reopens the case (GZ Art. 17)."""
    async with runtime.uow() as uow:
        outcome = await visits.record_visit(uow, case_id, body, actor=principal.actor)
    return VisitOut(case_id=outcome.case_id, cycle=outcome.cycle, reopened=outcome.reopened, status=outcome.status)
