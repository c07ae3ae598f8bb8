"""Open311 GeoReport v2 routes (/open311/v2/): services from the catalogue, requests as cases, no personal data out."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from caseflow_common.contracts.intake import Channel
from caseflow_common.contracts.status import CaseStatus
from caseflow_common.db import as_utc
from caseflow_common.errors import ApiError
from caseflow_common.events import Actor
from intake import commands
from intake.api.deps import Runtime
from intake.api.errors import open311_errors, open311_invalid
from intake.api.limits import open311_limit
from intake.api.route_classes import Open311Route
from intake.context import IntakeContext
from intake.domain.open311 import open311_status, service_definition, service_from_category
from intake.domain.public import listed_categories
from intake.domain.reports import HotlineReportIn
from intake.public_views import open311_request

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)

# GeoReport v2: without dates a listing covers the last 90 days, and at most 1000 requests.
DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
OPEN311_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "[{code, description}] naming each invalid field"},
    403: {"description": "[{code, description}] unknown api_key"},
    404: {"description": "[{code, description}] not found, or the public listing is turned off"},
}
POST_ERRORS: dict[int | str, dict[str, Any]] = {
    **OPEN311_ERRORS,
    429: {"description": "[{code, description}] too many requests from this api_key or address; see Retry-After"},
}


def _listing_served(ctx: IntakeContext) -> None:
    if not ctx.public_listing:
        raise ApiError(404, "not_found", "the public listing of service requests is not offered here")


def _split(text: str | None) -> list[str] | None:
    values = [v.strip() for v in (text or "").split(",") if v.strip()]
    return values or None


@router.get("/services.json", summary="Open311 services: the category catalogue")
async def list_services(runtime: Runtime) -> list[dict[str, Any]]:
    """Every category as an Open311 service."""
    return [service_from_category(c) for c in runtime.context.categories.values()]


@router.get("/services/{service_code}.json", summary="Open311 service definition", responses=OPEN311_ERRORS)
async def get_service(service_code: str, runtime: Runtime) -> dict[str, Any]:
    """A category's extra fields as Open311 attributes."""
    category = runtime.context.categories.get(service_code)
    if category is None:
        raise ApiError(404, "not_found", f"unknown service_code '{service_code}'")
    return service_definition(category)


@router.post(
    "/requests.json",
    summary="Open311: submit a service request",
    status_code=201,
    responses=POST_ERRORS,
    dependencies=[Depends(open311_limit)],
)
async def post_request(
    runtime: Runtime,
    api_key: Annotated[str, Form(max_length=200)],
    service_code: Annotated[str, Form(max_length=64)],
    description: Annotated[str, Form(max_length=4000)] = "",
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    long: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address_string: Annotated[str, Form(max_length=200)] = "",
    address_id: Annotated[str | None, Form(max_length=64)] = None,
    first_name: Annotated[str, Form(max_length=25)] = "",
    last_name: Annotated[str, Form(max_length=25)] = "",
    phone: Annotated[str | None, Form(max_length=30)] = None,
) -> JSONResponse:
    """Accept a request through Open311 (form-encoded, api_key); it becomes a case like a hotline report.

    Limited per api_key (per client address while the key is unknown): 429 with Retry-After past the burst.
    """
    subject = runtime.context.open311_keys.get(api_key)
    if subject is None:
        raise ApiError(403, "forbidden", "api_key is not valid")
    now = runtime.clock()
    name = (first_name + last_name).strip() or None
    try:
        report = HotlineReportIn.model_validate(
            {
                # Open311 has no idempotency key of its own; each POST is a new request.
                "external_id": f"o311-{uuid.uuid4().hex}",
                "received_at": now,
                "kind": "request",
                "category": service_code,
                "description": description,
                "location": {"region_code": address_id or None, "address": address_string, "lat": lat, "lon": long},
                "requester": {"name": name, "phone": phone, "anonymous": not phone},
            }
        )
    except ValidationError as exc:
        raise open311_invalid((e["loc"], e["msg"]) for e in exc.errors()) from None
    with open311_errors():
        result = await commands.receive_report(
            runtime, report, channel=Channel.OPEN311, actor=Actor(role="hotline", id=f"open311:{subject}")
        )
    return JSONResponse(
        [{"service_request_id": result.case_id, "service_notice": "", "account_id": None}], status_code=201
    )


@router.get("/requests.json", summary="Open311: service requests", responses=OPEN311_ERRORS)
async def list_requests(
    runtime: Runtime,
    service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
    service_code: Annotated[str | None, Query(max_length=2000)] = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Annotated[str | None, Query(pattern=r"^\s*(open|closed)\s*(,\s*(open|closed)\s*)?$")] = None,
) -> list[dict[str, Any]]:
    """Public requests (categories marked public only, no personal data, street-level places) filtered by id,
    service, date range and open/closed; the last 90 days by default. 404 when the listing is turned off."""
    ctx = runtime.context
    _listing_served(ctx)
    codes = listed_categories(ctx.categories, _split(service_code))
    if not codes:
        return []
    ids = _split(service_request_id)
    start, end = as_utc(start_date), as_utc(end_date)
    if ids is None and start is None and end is None:
        start = runtime.clock() - DEFAULT_WINDOW
    wanted = set(_split(status) or [])
    statuses = None
    if wanted and wanted != {"open", "closed"}:
        statuses = [s.value for s in CaseStatus if open311_status(s).value in wanted]
    async with runtime.uow() as uow:
        rows = await uow.repo.public_cases(
            ids=ids, service_codes=codes, start=start, end=end, statuses=statuses, limit=MAX_RESULTS
        )
    return [open311_request(r, ctx) for r in rows]


@router.get("/requests/{service_request_id}.json", summary="Open311: one service request", responses=OPEN311_ERRORS)
async def get_request(service_request_id: str, runtime: Runtime) -> list[dict[str, Any]]:
    """One public request (as a one-element array, per GeoReport v2); a private category's is not found."""
    ctx = runtime.context
    _listing_served(ctx)
    async with runtime.uow() as uow:
        rows = await uow.repo.public_cases(
            ids=[service_request_id],
            service_codes=listed_categories(ctx.categories),
            start=None,
            end=None,
            statuses=None,
            limit=1,
        )
    if not rows:
        raise ApiError(404, "not_found", f"service request '{service_request_id}' not found")
    return [open311_request(rows[0], ctx)]
