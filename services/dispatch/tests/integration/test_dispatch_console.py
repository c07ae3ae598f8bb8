"""/console/: the reference department dashboard's files, its configuration and its security headers, as a browser
on the city's intranet gets them from dispatch (the page itself is driven in Chromium by tests/e2e)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import ValidationError

from caseflow_common.testing import DatabaseFactory, service_settings
from dispatch.api.console_routes import CONSOLE_DIR
from dispatch.bootstrap import build
from dispatch.settings import Settings


async def _client(sqlite_only: DatabaseFactory, **overrides: Any) -> httpx.AsyncClient:
    settings = service_settings(
        Settings, broker="127.0.0.1:9", prefix="console.", database_url=await sqlite_only.new_url(), **overrides
    )
    _, app = build(settings)  # the files and config.json need no running runtime
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dispatch.test")


@pytest_asyncio.fixture
async def console(sqlite_only: DatabaseFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(sqlite_only) as client:
        yield client


def _policy(response: httpx.Response) -> dict[str, list[str]]:
    csp = response.headers["content-security-policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}


async def test_the_console_page_its_script_and_its_style_sheet_are_served_by_dispatch(console):
    assert (await console.get("/console")).headers["location"] == "/console/"
    for path in ("/console", "/console/", "/console/config.json", "/console/console.js"):
        assert (await console.head(path)).status_code in {200, 308}, path
    page = await console.get("/console/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="console.js" defer></script>' in page.text
    script = await console.get("/console/console.js")
    style = await console.get("/console/console.css")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert script.text == (CONSOLE_DIR / "console.js").read_text()  # the package's own file, as shipped
    assert style.text == (CONSOLE_DIR / "console.css").read_text()


async def test_the_page_loads_nothing_from_another_host_and_its_policy_allows_only_its_own_origin(console):
    page, script, style = [(await console.get(f"/console/{f}")) for f in ("", "console.js", "console.css")]
    links = re.findall(r'(?:src|href)="([^"]*)"', page.text)
    assert links and all("//" not in link and not link.startswith("/") for link in links), links
    assert not re.search(r"https?://", script.text) and "url(" not in style.text and "@import" not in style.text
    for response in (page, script, style):
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"]
        # Besides its own origin, only the configured escalation API (clocks, supervision) may be called.
        assert policy["connect-src"] == ["'self'", "http://127.0.0.1:8003"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert "script-src" not in policy and "style-src" not in policy  # no inline script or style anywhere
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_config_json_tells_the_page_where_the_apis_are_from_the_settings(sqlite_only):
    async with await _client(
        sqlite_only, console_escalation_url="https://escalation.city.internal:8443/", console_poll_interval_s=7
    ) as client:
        r = await client.get("/console/config.json")
    assert r.status_code == 200
    assert r.json() == {
        "dispatch_url": "",
        "escalation_url": "https://escalation.city.internal:8443",
        "stream_path": "/v1/work/stream",
        "poll_interval_s": 7.0,
    }
    assert _policy(r)["connect-src"] == ["'self'", "https://escalation.city.internal:8443"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "escalation:8003", "http://", "http://h:1/?token=x"])
def test_an_api_base_url_the_page_could_not_call_is_refused_at_start(url):
    with pytest.raises(ValidationError, match="console_escalation_url"):
        Settings(env="dev", auth_secret="x" * 40, console_escalation_url=url)


async def test_nothing_but_the_console_files_is_served_under_console(console):
    for path in ("/console/missing.js", "/console/../settings.py", "/console/%2e%2e/settings.py"):
        r = await console.get(path)
        assert r.status_code == 404, path
        assert "BaseSettings" not in r.text
