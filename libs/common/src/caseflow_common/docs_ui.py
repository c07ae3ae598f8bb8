"""API documentation pages served from local assets (the city's network is an intranet: no CDN), and CORS for
dashboards served from another origin."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
PREFIX = "/docs-assets"
DEV_ORIGINS = r"https?://(127\.0\.0\.1|localhost)(:\d+)?"


def install_docs(app: FastAPI, title: str) -> None:
    """/docs (Swagger UI) and /redoc (ReDoc), their scripts and styles served by the service itself."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} — API",
            redoc_js_url=f"{PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{PREFIX}/favicon.png",
            with_google_fonts=False,
        )


def install_cors(app: FastAPI, origins: list[str], *, dev: bool) -> None:
    """Browsers on these origins may call the API (a dashboard on another host). None by default outside dev; in dev
    any loopback origin."""
    if not origins and not dev:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_origin_regex=DEV_ORIGINS if dev and not origins else None,
        allow_methods=["GET", "POST", "PUT", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "If-None-Match", "Last-Event-ID"],
        expose_headers=["ETag", "Retry-After"],
        max_age=600,
    )
