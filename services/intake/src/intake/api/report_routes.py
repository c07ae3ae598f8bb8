"""Report routes (API.md, intake): the category catalogue, hotline and grid reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from caseflow_common.auth import AnyPrincipal, Principal
from caseflow_common.contracts.intake import Channel
from caseflow_common.contracts.status import CaseStatus
from intake import commands
from intake.api.deps import Runtime
from intake.api.errors import api_errors
from intake.api.limits import GridWriter, HotlineWriter
from intake.api.route_classes import ReportRoute
from intake.domain.reports import GridReportIn, HotlineReportIn, Report
from intake.uow import IntakeRuntime
from intake.views import ReportAccepted

router = APIRouter(route_class=ReportRoute)

_REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "same external_id and body: the existing case", "model": ReportAccepted},
    409: {"description": "same external_id, different body"},
    413: {"description": "body over the size limit"},
    422: {"description": "malformed JSON, or invalid fields (each one named)"},
    429: {"description": "too many reports from this principal; see Retry-After"},
}


async def _accept(runtime: IntakeRuntime, report: Report, *, channel: Channel, principal: Principal) -> JSONResponse:
    """Receive a report; 201 for a new case, 200 for the same report again."""
    with api_errors():
        result = await commands.receive_report(runtime, report, channel=channel, actor=principal.actor)
    status = CaseStatus.MERGED if result.merged_into else CaseStatus.RECEIVED
    out = ReportAccepted(
        case_id=result.case_id, status=status, received_at=result.received_at, merged_into=result.merged_into
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if result.created else 200)


@router.get("/v1/categories", tags=["catalogue"], summary="The category catalogue")
async def list_categories(runtime: Runtime, _: AnyPrincipal) -> dict[str, Any]:
    """Every category: code, name, group, default urgency, default department kind, channels, extra fields."""
    cats = runtime.context.categories
    return {"items": [c.model_dump() for c in cats.values()], "total": len(cats)}


@router.post(
    "/v1/hotline/reports", tags=["reports"], status_code=201, response_model=ReportAccepted, responses=_REPORT_RESPONSES
)
async def post_hotline_report(body: HotlineReportIn, runtime: Runtime, principal: HotlineWriter) -> JSONResponse:
    """Accept a 12345 hotline report (受理)."""
    return await _accept(runtime, body, channel=Channel.HOTLINE, principal=principal)


@router.post(
    "/v1/grid/reports", tags=["reports"], status_code=201, response_model=ReportAccepted, responses=_REPORT_RESPONSES
)
async def post_grid_report(body: GridReportIn, runtime: Runtime, principal: GridWriter) -> JSONResponse:
    """Accept what a grid member found on patrol (GZ Art. 16; SZ Art. 17)."""
    return await _accept(runtime, body, channel=Channel.GRID, principal=principal)
