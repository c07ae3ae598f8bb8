"""intake HTTP API (API.md, intake)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from caseflow_common.auth import AnyPrincipal, Principal, Role, require
from caseflow_common.errors import ApiError
from caseflow_common.runtime import ServiceRuntime
from intake import handlers

router = APIRouter()


class LocationIn(BaseModel):
    region_code: str = Field(min_length=1, max_length=40)
    address: str = Field(default="", max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class RequesterIn(BaseModel):
    name: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=20)
    anonymous: bool = False


class HotlineReportIn(BaseModel):
    external_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    received_at: AwareDatetime
    kind: Literal["complaint", "request", "report", "inquiry", "suggestion"]
    category: str
    urgency: Literal["emergency", "urgent", "normal", "inquiry"] | None = None
    description: str = Field(min_length=1, max_length=4000)
    location: LocationIn
    requester: RequesterIn = Field(default_factory=RequesterIn)


class ReportAccepted(BaseModel):
    case_id: str
    status: str
    received_at: datetime


def runtime_of(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


Runtime = Annotated[ServiceRuntime, Depends(runtime_of)]


@router.get("/v1/categories", tags=["catalogue"], summary="The category catalogue")
async def list_categories(runtime: Runtime, _: AnyPrincipal) -> dict:
    cats = runtime.state["categories"]
    return {"items": [c.model_dump() for c in cats.values()], "total": len(cats)}


@router.post("/v1/hotline/reports", tags=["reports"], status_code=201, response_model=ReportAccepted,
             responses={200: {"description": "same external_id and body: the existing case"},
                        409: {"description": "same external_id, different body"}})
async def post_hotline_report(body: HotlineReportIn, runtime: Runtime,
                              principal: Annotated[Principal, Depends(require(Role.HOTLINE))]) -> JSONResponse:
    """Accept a 12345 hotline report (受理)."""
    category = runtime.state["categories"].get(body.category)
    errors = []
    if category is None:
        errors.append({"field": "category", "message": f"unknown category {body.category!r}"})
    if body.location.region_code not in runtime.state["regions"]:
        errors.append({"field": "location.region_code", "message": f"unknown region {body.location.region_code!r}"})
    if errors:
        raise ApiError(422, "invalid_request", "invalid fields: " + ", ".join(e["field"] for e in errors), errors)
    async with runtime.uow() as uow:
        result = await handlers.receive_report(uow, channel="hotline", body=body.model_dump(mode="json"),
                                               category=category, regions=runtime.state["regions"],
                                               actor=principal.actor, prefix=runtime.settings.case_number_prefix)
    out = ReportAccepted(case_id=result.case_id, status="received", received_at=result.received_at)
    return JSONResponse(out.model_dump(mode="json"), status_code=201 if result.created else 200)
