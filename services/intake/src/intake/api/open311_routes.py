"""Open311 GeoReport v2 routes (/open311/v2/): services from the catalogue, requests as cases, no personal data out.

Every resource in both formats (``.json`` and ``.xml``, errors too), Service Discovery, ``api_key`` in the form or
the query string, the optional fields of a POST kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
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
from intake.api.open311_formats import FORMATS, RequestedFormat, documented, open311_response
from intake.api.route_classes import Open311Route
from intake.context import IntakeContext
from intake.domain.open311 import (
    StatusRefused,
    attribute_answers,
    discovery,
    form_attributes,
    open311_status,
    open311_statuses,
    service_definition,
    service_from_category,
)
from intake.domain.public import listed_categories
from intake.domain.reports import Open311ReportIn
from intake.public_views import open311_request

router = APIRouter(prefix="/open311", tags=["open311"], route_class=Open311Route)
V2 = "/v2"

# GeoReport v2: without dates a listing covers the last 90 days, and at most 1000 requests.
DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
MAX_LISTED_VALUES = 200  # ids, service codes or statuses one listing may name
MAX_LISTED_LENGTH = 100  # characters of one of them (case numbers and category codes are far shorter)
OPEN311_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "[{code, description}] naming each invalid field"},
    403: {"description": "[{code, description}] missing or unknown api_key"},
    404: {"description": "[{code, description}] not found, or the public listing is turned off"},
    # Any other client error is Open311's error list too; naming the class keeps FastAPI from documenting its own 422,
    # which these routes never answer (a bad field is the 400 above).
    "4XX": {"description": "[{code, description}] any other client error, in the format asked for"},
}
POST_ERRORS: dict[int | str, dict[str, Any]] = {
    **OPEN311_ERRORS,
    429: {"description": "[{code, description}] too many requests from this api_key or address; see Retry-After"},
}
Listed = Annotated[list[str] | None, Query(description="comma separated, or given several times")]


def both_formats(
    method: str, path: str, root: str, **kwargs: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an endpoint at ``path.json`` and ``path.xml`` (the XML document's root element is ``root``)."""
    responses: dict[int | str, dict[str, Any]] = kwargs.pop("responses", {})

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        for fmt in FORMATS:
            xml = documented(root, kwargs.get("status_code", 200))
            documents = {**responses, **xml} if fmt == "xml" else responses
            router.api_route(f"{path}.{fmt}", methods=[method], responses=documents, **kwargs)(endpoint)
        return endpoint

    return register


def _listing_served(ctx: IntakeContext) -> None:
    if not ctx.public_listing:
        raise ApiError(404, "not_found", "the public listing of service requests is not offered here")


def _split(name: str, given: list[str] | None) -> list[str] | None:
    """The values of a listing filter, comma separated and/or repeated; None when it names none."""
    values = [v.strip() for text in given or () for v in text.split(",") if v.strip()]
    if len(values) > MAX_LISTED_VALUES or any(len(v) > MAX_LISTED_LENGTH for v in values):
        limit = f"at most {MAX_LISTED_VALUES} values of at most {MAX_LISTED_LENGTH} characters"
        raise open311_invalid([((name,), limit)])
    return values or None


def _endpoint_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix + V2


@both_formats("GET", "/discovery", "discovery", summary="Open311 Service Discovery")
@both_formats("GET", V2 + "/discovery", "discovery", summary="Open311 Service Discovery (beside the endpoint)")
async def get_discovery(runtime: Runtime, request: Request, fmt: RequestedFormat) -> Response:
    """The GeoReport v2 endpoint, its formats and whom to ask for an api_key (/open311/discovery, and beside the
    endpoint where clients such as ``three`` look for it)."""
    return open311_response(discovery(runtime.context.discovery, _endpoint_url(request)), fmt, "discovery")


@both_formats("GET", V2 + "/services", "services", summary="Open311 services: the category catalogue")
async def list_services(runtime: Runtime, fmt: RequestedFormat) -> Response:
    """Every category as an Open311 service."""
    services = [service_from_category(c) for c in runtime.context.categories.values()]
    return open311_response(services, fmt, "services")


@both_formats(
    "GET",
    V2 + "/services/{service_code}",
    "service_definition",
    summary="Open311 service definition",
    responses=OPEN311_ERRORS,
)
async def get_service(service_code: str, runtime: Runtime, fmt: RequestedFormat) -> Response:
    """A category's extra fields as Open311 attributes."""
    category = runtime.context.categories.get(service_code)
    if category is None:
        raise ApiError(404, "not_found", f"unknown service_code '{service_code[:64]}'")
    return open311_response(service_definition(category), fmt, "service_definition")


@both_formats(
    "POST",
    V2 + "/requests",
    "service_requests",
    summary="Open311: submit a service request",
    status_code=201,
    responses=POST_ERRORS,
    dependencies=[Depends(open311_limit)],
)
async def post_request(
    runtime: Runtime,
    request: Request,
    fmt: RequestedFormat,
    service_code: Annotated[str, Form(max_length=64)],
    api_key: Annotated[str | None, Form(max_length=200)] = None,
    api_key_in_query: Annotated[
        str | None, Query(alias="api_key", max_length=200, description="the api_key, if not in the form")
    ] = None,
    description: Annotated[str, Form(max_length=4000)] = "",
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    long: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address_string: Annotated[str, Form(max_length=200)] = "",
    address_id: Annotated[str | None, Form(max_length=64)] = None,
    email: Annotated[str | None, Form(max_length=254)] = None,
    device_id: Annotated[str | None, Form(max_length=100)] = None,
    account_id: Annotated[str | None, Form(max_length=100)] = None,
    first_name: Annotated[str, Form(max_length=25)] = "",
    last_name: Annotated[str, Form(max_length=25)] = "",
    phone: Annotated[str | None, Form(max_length=30)] = None,
    media_url: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Accept a request through Open311 (form-encoded; ``api_key`` in the form or the query string); it becomes a
    case like a hotline report. ``attribute[code]=value`` (``attribute[code][]=`` for each value of a
    multivaluelist) answers the service definition; email, device_id and account_id are kept with the requester's
    name and phone (encrypted, never published), media_url with the case (published).

    Limited per api_key (per client address while the key is unknown): 429 with Retry-After past the burst.
    """
    subject = runtime.context.open311_keys.get(api_key or api_key_in_query or "")
    if subject is None:
        raise ApiError(403, "forbidden", "api_key is missing or not valid")
    now = runtime.clock()
    name = (first_name + last_name).strip() or None
    try:
        report = Open311ReportIn.model_validate(
            {
                # Open311 has no idempotency key of its own; each POST is a new request.
                "external_id": f"o311-{uuid.uuid4().hex}",
                "received_at": now,
                "kind": "request",
                "category": service_code,
                "description": description,
                "location": {"region_code": address_id or None, "address": address_string, "lat": lat, "lon": long},
                "requester": {"name": name, "phone": phone, "anonymous": not phone},
                "media_url": media_url or None,
                "attributes": attribute_answers(form_attributes((await request.form()).multi_items())),
                "email": email or None,
                "device_id": device_id or None,
                "account_id": account_id or None,
            }
        )
    except ValidationError as exc:
        raise open311_invalid((e["loc"], e["msg"]) for e in exc.errors()) from None
    with open311_errors():
        result = await commands.receive_report(
            runtime, report, channel=Channel.OPEN311, actor=Actor(role="hotline", id=f"open311:{subject}")
        )
    created = [{"service_request_id": result.case_id, "service_notice": "", "account_id": report.account_id}]
    return open311_response(created, fmt, "service_requests", status_code=201)


def _utc(field: str, value: datetime | None) -> datetime | None:
    """A date filter in UTC; one with no UTC equivalent (0001-01-01T00:00+14:00) is Open311's 400 naming it."""
    try:
        return as_utc(value)
    except OverflowError:
        raise open311_invalid([((field,), "time is outside the representable range")]) from None


@both_formats(
    "GET", V2 + "/requests", "service_requests", summary="Open311: service requests", responses=OPEN311_ERRORS
)
async def list_requests(
    runtime: Runtime,
    fmt: RequestedFormat,
    service_request_id: Listed = None,
    service_code: Listed = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Listed = None,
) -> Response:
    """Public requests (categories marked public only, no personal data, street-level places) by id (which overrides
    every other filter), service, date range and status (``open``/``closed`` in any case, several comma separated);
    the last 90 days by default. 404 when the listing is turned off."""
    ctx = runtime.context
    _listing_served(ctx)
    ids = _split("service_request_id", service_request_id)
    codes = listed_categories(ctx.categories, None if ids else _split("service_code", service_code))
    try:
        wanted = open311_statuses(_split("status", status) or [])
    except StatusRefused as exc:
        raise open311_invalid([(("status",), str(exc))]) from None
    start, end = (None, None) if ids else (_utc("start_date", start_date), _utc("end_date", end_date))
    if ids is None and start is None and end is None:
        start = runtime.clock() - DEFAULT_WINDOW
    statuses = None
    if ids is None and wanted and len(wanted) == 1:
        statuses = [s.value for s in CaseStatus if open311_status(s) in wanted]
    rows = []
    if codes:
        async with runtime.uow() as uow:
            rows = list(
                await uow.repo.public_cases(
                    ids=ids, service_codes=codes, start=start, end=end, statuses=statuses, limit=MAX_RESULTS
                )
            )
    return open311_response([open311_request(r, ctx) for r in rows], fmt, "service_requests")


@both_formats(
    "GET",
    V2 + "/requests/{service_request_id}",
    "service_requests",
    summary="Open311: one service request",
    responses=OPEN311_ERRORS,
)
async def get_request(service_request_id: str, runtime: Runtime, fmt: RequestedFormat) -> Response:
    """One public request (as a one-element list, per GeoReport v2); a private category's is not found."""
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
        raise ApiError(404, "not_found", f"service request '{service_request_id[:64]}' not found")
    return open311_response([open311_request(rows[0], ctx)], fmt, "service_requests")
