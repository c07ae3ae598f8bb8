"""The one error shape: ``{"error": {"code", "message", "details"}}``; bad input is a 4xx, never a 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from caseflow_common.failures import TRANSIENT_ROOTS, is_transient

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    503: "unavailable",
}


class ApiError(Exception):
    """Raise from handlers/routes to answer with a given status, machine code and human message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []
        self.headers = headers  # e.g. Retry-After on a 429


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def conflict(message: str, code: str = "conflict") -> ApiError:
    return ApiError(409, code, message)


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        out.append({"field": ".".join(loc), "message": e.get("msg", "invalid"), "type": e.get("type", "")})
    return out


def install_error_handlers(app: FastAPI, *, retry_after_s: int = 5) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        fields = ", ".join(sorted({d["field"] for d in details if d["field"]})) or "body"
        return JSONResponse(error_body("invalid_request", f"invalid fields: {fields}", details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        msg = exc.detail if isinstance(exc.detail, str) else code
        return JSONResponse(error_body(code, msg), status_code=exc.status_code, headers=getattr(exc, "headers", None))

    def _unavailable_response(exc: Exception) -> JSONResponse:
        # The database or the broker is not there right now: nothing was stored, the client may retry.
        log.warning("dependency unavailable", extra={"error": f"{type(exc).__name__}"})
        return JSONResponse(
            error_body("unavailable", "a dependency is unavailable; retry later"),
            status_code=503,
            headers={"Retry-After": str(retry_after_s)},
        )

    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        if not is_transient(exc):
            raise exc  # not the dependency's fault: the catch-all below answers 500
        return _unavailable_response(exc)

    # Handled inside the app (Starlette's ExceptionMiddleware), so a 503 is a 503 to the metrics middleware and the
    # server too; the catch-all for Exception runs outermost, where the server also logs the error as unhandled.
    for exc_type in TRANSIENT_ROOTS:
        app.add_exception_handler(exc_type, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        if is_transient(exc):
            return _unavailable_response(exc)
        log.exception("unhandled error")
        return JSONResponse(error_body("internal_error", "internal error"), status_code=500)


class BodySizeLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` with 413 (declared length or streamed size)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._reject(send)
                return
        seen = 0

        async def limited_receive():  # type: ignore[no-untyped-def]
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        import orjson

        body = orjson.dumps(error_body("payload_too_large", f"request body exceeds {self.max_bytes} bytes"))
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(StarletteHTTPException):
    """Raised while a streamed (chunked) body is read: an HTTPException, so the framework answers 413, not 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body exceeds {max_bytes} bytes")
