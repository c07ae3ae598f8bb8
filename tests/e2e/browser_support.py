"""A real browser against services served over loopback HTTP: Debian's Chromium driven by Playwright's async API
(the suite runs in one asyncio loop, where Playwright's sync API cannot), and uvicorn serving an app in that loop."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Browser, Route, async_playwright

from caseflow_common.testing import REPO, TEST_SETTINGS, free_port, wait_for

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (CI runs as root), and none of Chromium's own calls home: the city's network is an intranet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_chromium() -> None:
    """Skip where Debian's chromium is absent on a developer's machine; in CI its absence fails the test."""
    if CHROMIUM.exists():
        return
    how = "`python3 dev.py test` installs it when run as root with apt (apt-get install -y chromium)"
    if IN_CI:
        pytest.fail(f"Debian's chromium ({CHROMIUM}) is required in CI and is missing: {how}")
    pytest.skip(f"Debian's chromium ({CHROMIUM}) is not installed: {how}")


def artifact(name: str) -> Path:
    """Where a test keeps a file for people to look at (CASEFLOW_TEST_ARTIFACTS, default var/test-artifacts)."""
    folder = REPO / TEST_SETTINGS.artifacts
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # Ctrl-C stays pytest's


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port in this loop (its runtime is started by the caller); its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_config=None, access_log=False, timeout_graceful_shutdown=2
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()  # raises what stopped it
        return server.started

    await wait_for(started, timeout=20)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=20)


def loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class RequestLog:
    """Every request the page made; any for a host other than loopback is refused and kept in ``refused``."""

    urls: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    async def guard(self, route: Route) -> None:
        url = route.request.url
        self.urls.append(url)
        if url.startswith(("http://", "https://", "ws://", "wss://")) and not loopback(url):
            self.refused.append(url)
            await route.abort("blockedbyclient")
            return
        await route.continue_()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never a browser of Playwright's own download)."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
