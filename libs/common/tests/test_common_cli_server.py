"""The services' HTTP server (`caseflow_common.cli.DrainingServer`) while idle and when asked to stop."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import uvicorn
from fastapi import FastAPI

from caseflow_common.cli import DrainingServer
from caseflow_common.testing import wait_for


class _Runtime:
    """Only what the server calls of a service runtime: draining() when a shutdown begins."""

    def __init__(self) -> None:
        self.drained = 0

    def draining(self) -> None:
        self.drained += 1


class _CountingServer(DrainingServer):
    ticks = 0

    async def on_tick(self, counter: int) -> bool:
        self.ticks += 1
        return await super().on_tick(counter)


async def test_an_idle_server_wakes_once_a_second_and_stops_as_soon_as_it_is_asked() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False)
    server = _CountingServer(config, _Runtime())  # type: ignore[arg-type]
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        return server.started

    try:
        await wait_for(started, timeout=10)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as client:
            answer = await client.get("/ping")
        assert answer.status_code == 200
        assert answer.headers["date"]  # the Date header the ticks keep current

        ticks_before = server.ticks
        await asyncio.sleep(2.5)
        # uvicorn's own loop ticks every 100 ms (25 times here); an idle service's server wakes once a second.
        assert server.ticks - ticks_before <= 4

        asked = time.monotonic()
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        # Setting should_exit wakes the loop: it does not wait out the second.
        assert time.monotonic() - asked < 0.5
    finally:
        if not task.done():
            server.should_exit = True
            await asyncio.wait_for(task, timeout=10)
        sock.close()
