"""HTTP plumbing shared by every service: metrics middleware, health/readiness/metrics routes, pagination,
conditional JSON answers (ETag / If-None-Match)."""

from __future__ import annotations

import hashlib
import time
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caseflow_common import metrics

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


class PageParams(BaseModel):
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


MAX_PAGE = 1_000_000  # far past any real listing, far below any database's integer range


async def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number")] = 1,
    page_size: Annotated[int, Query(ge=1, le=200, description="items per page (max 200)")] = 50,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


def runtime_of(request: Request) -> Any:
    """The ServiceRuntime behind the app (set by create_app)."""
    return request.app.state.runtime


async def runtime_dependency(request: Request) -> Any:
    """``runtime_of`` as a FastAPI dependency. Every dependency is a coroutine: FastAPI calls a coroutine inline,
    and a plain function on a worker thread (a thread hand-off per request and dependency)."""
    return runtime_of(request)


class MetricsMiddleware:
    """Pure ASGI middleware (cheap on the hot path): request count and latency by route template and status."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            metrics.HTTP_REQUESTS.labels(self.service, method, path, str(status)).inc()
            metrics.HTTP_LATENCY.labels(self.service, method, path).observe(time.perf_counter() - start)


def ops_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz", summary="Readiness: database and broker reachable", responses={503: {"description": "not ready"}}
    )
    async def readyz(request: Request) -> Response:
        try:
            report: dict[str, Any] = await request.app.state.runtime.readiness()
        except Exception as exc:  # readiness must answer, whatever is broken
            report = {"ready": False, "checks": {"readiness": f"failed: {type(exc).__name__}"}}
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def etag_of(body: bytes) -> str:
    """A strong entity tag of a response body."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """True when an ``If-None-Match`` header names this tag (or ``*``); weak tags compare by their value."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def conditional_json(request: Request, content: Any) -> Response:
    """``content`` as JSON with its ETag, or 304 Not Modified (no body) when the client's ``If-None-Match`` names
    that tag. Clients revalidate every time (``Cache-Control: private, no-cache``): the view is per caller."""
    response = JSONResponse(content)
    etag = etag_of(bytes(response.body))
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response
