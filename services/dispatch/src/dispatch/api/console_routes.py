"""/console/: the reference department dashboard, one static page (HTML, one script, one style sheet) shipped as
package data and served by dispatch itself (the city's network is an intranet: no CDN, no build step)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from dispatch.settings import Settings

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
PREFIX = "/console"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def security_headers(settings: Settings) -> dict[str, str]:
    """The page loads nothing but its own files; besides its own origin it connects only to the configured APIs
    (escalation's clocks and supervision), so a pasted token can be sent nowhere else."""
    apis = sorted({o for o in map(_origin, (settings.console_dispatch_url, settings.console_escalation_url)) if o})
    csp = "; ".join(
        [
            "default-src 'self'",
            " ".join(["connect-src 'self'", *apis]),
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def page_config(settings: Settings) -> dict[str, Any]:
    """What the page reads first: where the APIs are, and how it learns of changes."""
    return {
        "dispatch_url": settings.console_dispatch_url,
        "escalation_url": settings.console_escalation_url,
        "stream_path": "/v1/work/stream",
        "poll_interval_s": settings.console_poll_interval_s,
    }


class _ConsoleFiles(StaticFiles):
    """The page's files, each answered with the console's security headers."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__(directory=CONSOLE_DIR, html=True)
        self._headers = headers

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(self._headers)
        return response


def install_console(app: FastAPI, settings: Settings) -> None:
    """/console/ (the page, its script and style sheet) and /console/config.json (from settings)."""
    headers = security_headers(settings)
    config = page_config(settings)
    router = APIRouter(include_in_schema=False)

    @router.api_route(PREFIX, methods=["GET", "HEAD"])
    async def console_root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    @router.api_route(f"{PREFIX}/config.json", methods=["GET", "HEAD"])
    async def console_config() -> JSONResponse:
        return JSONResponse(config, headers=headers)

    app.include_router(router)
    app.mount(PREFIX, _ConsoleFiles(headers), name="console")
