"""Route classes that turn request validation failures into intake's answers: every bad field named, JSON reasons."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from caseflow_common.errors import ApiError
from intake.api.deps import intake_runtime
from intake.api.errors import invalid_body
from intake.api.open311_formats import format_of, open311_response
from intake.domain.open311 import open311_errors

RouteHandler = Callable[[Request], Coroutine[Any, Any, Response]]


def _details(exc: RequestValidationError) -> list[dict[str, str]]:
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        out.append(
            {"field": ".".join(loc) or "body", "message": str(e.get("msg", "invalid")), "type": e.get("type", "")}
        )
    return out


def _json_reason(exc: RequestValidationError) -> str | None:
    for e in exc.errors():
        if e.get("type") == "json_invalid":
            return str((e.get("ctx") or {}).get("error") or e.get("msg"))
    return None


async def _catalogue_details(request: Request, named: set[str]) -> list[dict[str, str]]:
    """Catalogue and directory errors of a body that failed syntax checks, so one answer names every bad field."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return []
    if not isinstance(body, dict):
        return []
    ctx = intake_runtime(request).context
    raw_location = body.get("location")
    location = raw_location if isinstance(raw_location, dict) else {}
    checks = (
        ("category", body.get("category"), ctx.categories, "category"),
        ("grid_code", body.get("grid_code"), ctx.regions, "grid code"),
        ("location.region_code", location.get("region_code"), ctx.regions, "region code"),
    )
    return [
        {"field": field, "message": f"unknown {what} '{value}'", "type": "unknown"}
        for field, value, known, what in checks
        if isinstance(value, str) and value.strip() and value.strip() not in known and field not in named
    ]


class _GuardedRoute(APIRoute):
    """A route whose request validation failures are answered by ``explain``."""

    async def explain(self, request: Request, exc: RequestValidationError) -> Response:
        raise NotImplementedError

    def get_route_handler(self) -> RouteHandler:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except RequestValidationError as exc:
                return await self.explain(request, exc)

        return handler


class ExplainedRoute(_GuardedRoute):
    """An intake endpoint: malformed JSON answered with the parser's reason, every invalid field named."""

    catalogue_checks = False

    async def explain(self, request: Request, exc: RequestValidationError) -> Response:
        reason, details = _json_reason(exc), _details(exc)
        if reason is None and self.catalogue_checks:
            details += await _catalogue_details(request, {d["field"] for d in details})
        raise invalid_body(reason, details)


class ReportRoute(ExplainedRoute):
    """A report endpoint: one 422 names the syntax and the catalogue errors together."""

    catalogue_checks = True


class Open311Route(_GuardedRoute):
    """An Open311 endpoint: errors in GeoReport v2's own format, [{"code", "description"}] or <errors><error>, as the
    route's extension asks."""

    def _answer(
        self, status: int, message: str, details: list[Any], headers: Mapping[str, str] | None = None
    ) -> Response:
        errors = open311_errors(status, message, details)
        return open311_response(errors, format_of(self.path), "errors", status_code=status, headers=headers)

    async def explain(self, request: Request, exc: RequestValidationError) -> Response:
        return self._answer(400, "invalid request", _details(exc))

    def get_route_handler(self) -> RouteHandler:
        guarded = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await guarded(request)
            except ApiError as exc:
                return self._answer(exc.status, exc.message, exc.details)
            except StarletteHTTPException as exc:  # e.g. 429 with its Retry-After
                return self._answer(exc.status_code, str(exc.detail), [], exc.headers)

        return handler
