"""Grid feedback routes (API.md, intake; GZ Art. 16): the grid system reads what became of the reports it submitted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from caseflow_common.contracts.status import CaseStatus
from caseflow_common.errors import not_found
from caseflow_common.http import Page, PageParams, page_params
from intake.api.deps import Grid, Runtime
from intake.api.route_classes import ExplainedRoute
from intake.grid_views import GridCaseView, grid_case_view

router = APIRouter(route_class=ExplainedRoute, tags=["grid"])

ExternalIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="The grid's own report id.")
]


@router.get(
    "/v1/grid/reports",
    response_model=Page[GridCaseView],
    responses={422: {"description": "a bad page, page_size or status (each named)"}},
)
async def list_grid_reports(
    runtime: Runtime,
    principal: Grid,
    paging: Annotated[PageParams, Depends(page_params)],
    status: Annotated[list[CaseStatus] | None, Query(description="only cases in these statuses")] = None,
) -> Page[GridCaseView]:
    """The cases this grid system submitted, newest first, each with its status and the department's reply."""
    statuses = [str(s) for s in status] if status else None
    async with runtime.uow() as uow:
        rows, total = await uow.reads.grid_cases(
            principal.subject, statuses=statuses, offset=paging.offset, limit=paging.page_size
        )
    items = [grid_case_view(r, runtime.context) for r in rows]
    return Page[GridCaseView](items=items, total=total, page=paging.page, page_size=paging.page_size)


@router.get(
    "/v1/grid/reports/{external_id}",
    response_model=GridCaseView,
    responses={404: {"description": "no report of this grid system with that id"}},
)
async def get_grid_report(external_id: ExternalIdPath, runtime: Runtime, principal: Grid) -> GridCaseView:
    """A report this grid system submitted, by its own id: status, responsible unit, deadlines, the reply."""
    async with runtime.uow() as uow:
        row = await uow.reads.grid_case(principal.subject, external_id=external_id)
    if row is None:
        raise not_found("report")
    return grid_case_view(row, runtime.context)
