"""The live stream of a unit's case changes (server-sent events over a real HTTP server), resumable with
Last-Event-ID, scoped to the token's unit, bounded per unit; and ETags on the case views."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
import uvicorn

from caseflow_common.auth import Role
from caseflow_common.cli import DrainingServer
from caseflow_common.testing import auth_header, tokens, wait_for

TH_ECOLOGY = "GZ-TH-HJ"
TH_TRAFFIC_CATEGORY = "traffic.signal.fault"
TH_URBAN = "GZ-TH-CG"


@pytest.fixture
def dispatch_overrides() -> dict[str, Any]:
    return {"stream_max_per_unit": 2, "stream_heartbeat_s": 0.2, "stream_poll_s": 0.1}


@dataclass
class Served:
    url: str
    server: DrainingServer


@asynccontextmanager
async def serving(dispatch) -> AsyncIterator[Served]:  # type: ignore[no-untyped-def]
    """dispatch's app on a real HTTP server at 127.0.0.1 (an in-process transport buffers a whole response), as the
    service's command serves it; a drain that waited on open streams would hang far past any test's patience."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        dispatch.svc.app, lifespan="off", log_config=None, access_log=False, timeout_graceful_shutdown=3600
    )
    srv = DrainingServer(config, dispatch.svc.runtime)
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    await wait_for(lambda: _started(srv), timeout=10)
    try:
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}", srv)
    finally:
        srv.should_exit = True
        await asyncio.wait_for(task, timeout=20)
        sock.close()


@pytest_asyncio.fixture
async def server(dispatch) -> AsyncIterator[str]:
    async with serving(dispatch) as served:
        yield served.url


async def _started(srv: uvicorn.Server) -> bool:
    return srv.started


def token(unit: str = TH_ECOLOGY, role: Role = Role.DEPARTMENT) -> str:
    return auth_header(role, unit)["Authorization"].removeprefix("Bearer ")


class Events:
    """Reads server-sent events off an open stream: events (id, type, data) and comments."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()
        self.comments: list[str] = []

    async def next(self) -> dict[str, Any]:
        event: dict[str, Any] = {}
        async for line in self.lines:
            if line.startswith(":"):
                self.comments.append(line)
            elif line == "":
                if "data" in event:
                    return event
                event = {}
            else:
                name, _, value = line.partition(":")
                event[name] = value.strip()
        raise EOFError("the stream ended")

    async def case(self, case_id: str) -> dict[str, Any]:
        """The next event about this case (earlier ones are collected in `before`)."""
        self.before: list[dict[str, Any]] = []
        while True:
            event = await asyncio.wait_for(self.next(), timeout=20)
            event["item"] = orjson.loads(event["data"])
            if event["item"]["case_id"] == case_id:
                return event
            self.before.append(event)


async def test_a_new_case_of_the_unit_arrives_live_on_its_stream_and_another_units_does_not(dispatch, server):
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        async with client.stream("GET", "/v1/work/stream", params={"access_token": token()}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = Events(response)
            foreign = await dispatch.receive(category=TH_TRAFFIC_CATEGORY)
            mine = await dispatch.receive()
            event = await events.case(mine)
            assert event["event"] == "case" and int(event["id"]) == event["item"]["change_id"]
            assert event["item"]["status"] == "dispatched" and event["item"]["unit"] == TH_ECOLOGY
            assert "deadlines" in event["item"] and "overdue" in event["item"]
            assert foreign not in {e["item"]["case_id"] for e in events.before}

            assert (await dispatch.act(mine, "accept", TH_ECOLOGY)).status_code == 200
            accepted = await events.case(mine)
            assert accepted["item"]["status"] == "accepted" and int(accepted["id"]) > int(event["id"])


async def test_a_reconnect_with_last_event_id_replays_each_case_changed_after_it_then_goes_live(dispatch, server):
    first = await dispatch.receive()
    headers = auth_header(Role.DEPARTMENT, TH_ECOLOGY)
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        async with client.stream("GET", "/v1/work/stream", headers={**headers, "Last-Event-ID": "0"}) as response:
            seen = await Events(response).case(first)
        # While disconnected: a new case arrives and the first one is signed for.
        second = await dispatch.receive()
        assert (await dispatch.act(first, "accept", TH_ECOLOGY)).status_code == 200
        resume = {**headers, "Last-Event-ID": seen["id"]}
        async with client.stream("GET", "/v1/work/stream", headers=resume) as response:
            events = Events(response)
            replayed = [await events.next(), await events.next()]
            items = [orjson.loads(e["data"]) for e in replayed]
            assert [i["case_id"] for i in items] == [second, first]  # in change order, each once, as it is now
            assert items[1]["status"] == "accepted"
            assert all(int(e["id"]) > int(seen["id"]) for e in replayed)
            third = await dispatch.receive()
            assert (await events.case(third))["item"]["status"] == "dispatched"


async def test_a_case_that_leaves_the_unit_is_gone_from_its_stream_and_arrives_on_the_receivers(dispatch, server):
    case_id = await dispatch.receive()
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        giver = {"access_token": token()}
        receiver = {"access_token": token(TH_URBAN)}
        async with (
            client.stream("GET", "/v1/work/stream", params=giver) as theirs,
            client.stream("GET", "/v1/work/stream", params=receiver) as ours,
        ):
            moved = await dispatch.act(case_id, "transfer", TH_ECOLOGY, {"to_unit": TH_URBAN, "reason": "属违法建设"})
            assert moved.status_code == 200
            gone = await Events(theirs).next()
            assert gone["event"] == "gone" and orjson.loads(gone["data"])["case_id"] == case_id
            arrived = await Events(ours).case(case_id)
            assert arrived["item"]["unit"] == TH_URBAN and arrived["id"] == gone["id"]
        # Resuming from before the move tells the giver it is gone, never shows it the case as it is now.
        async with client.stream("GET", "/v1/work/stream", params=giver, headers={"Last-Event-ID": "0"}) as again:
            replay = await Events(again).next()
            assert replay["event"] == "gone" and replay["id"] == gone["id"]


async def test_without_last_event_id_the_stream_sends_only_changes_after_it_opened(dispatch, server):
    old = await dispatch.receive()
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        async with client.stream("GET", "/v1/work/stream", params={"access_token": token()}) as response:
            events = Events(response)
            new = await dispatch.receive()
            await events.case(new)
            assert old not in {e["item"]["case_id"] for e in events.before}


async def test_an_idle_stream_sends_heartbeat_comments(dispatch, server):
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        async with client.stream("GET", "/v1/work/stream", params={"access_token": token()}) as response:
            lines = response.aiter_lines()

            async def first_comment() -> str:
                async for line in lines:
                    if line.startswith(":"):
                        return line
                raise EOFError("the stream ended")

            assert await asyncio.wait_for(first_comment(), timeout=20) == ": heartbeat"


async def test_a_unit_past_its_open_stream_limit_gets_429_and_a_closed_stream_frees_its_place(dispatch, server):
    feed = dispatch.svc.runtime.context.changes
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        params = {"access_token": token()}
        async with client.stream("GET", "/v1/work/stream", params=params) as one:
            async with client.stream("GET", "/v1/work/stream", params=params) as two:
                assert one.status_code == two.status_code == 200
                third = await client.get("/v1/work/stream", params=params)
                assert third.status_code == 429 and third.json()["error"]["code"] == "too_many_streams"
                assert int(third.headers["retry-after"]) >= 1
                # Another unit has places of its own.
                other = token("GZ-TH-JT")
                async with client.stream("GET", "/v1/work/stream", params={"access_token": other}) as theirs:
                    assert theirs.status_code == 200
        await wait_for(lambda: _none_open(feed, TH_ECOLOGY), timeout=20)
        async with client.stream("GET", "/v1/work/stream", params=params) as again:
            assert again.status_code == 200


async def _none_open(feed: Any, unit: str) -> bool:
    return feed.open_streams(unit) == 0


async def test_the_stream_ends_cleanly_at_shutdown(dispatch, server):
    feed = dispatch.svc.runtime.context.changes
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        async with client.stream("GET", "/v1/work/stream", params={"access_token": token()}) as response:
            assert response.status_code == 200
            feed.close()
            with pytest.raises(EOFError):
                await asyncio.wait_for(Events(response).next(), timeout=20)
    assert feed.open_streams(TH_ECOLOGY) == 0


async def test_a_server_shutdown_ends_open_streams_cleanly_instead_of_waiting_on_them(dispatch):
    async with serving(dispatch) as served:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as client:
            async with client.stream("GET", "/v1/work/stream", params={"access_token": token()}) as response:
                assert response.status_code == 200
                served.server.handle_exit(signal.SIGTERM, None)  # what SIGTERM calls
                served.server._captured_signals.clear()  # uvicorn would raise it again at exit: not in the test run
                with pytest.raises(EOFError):
                    await asyncio.wait_for(Events(response).next(), timeout=20)
    # Leaving `serving` waited for the server to stop: nothing held its drain.


async def test_the_stream_needs_a_unit_token_by_header_or_query_and_a_whole_change_id(dispatch, server):
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        assert (await client.get("/v1/work/stream")).status_code == 401
        assert (await client.get("/v1/work/stream", params={"access_token": "forged"})).status_code == 401
        supervisor = tokens()(Role.SUPERVISOR)["Authorization"].removeprefix("Bearer ")
        assert (await client.get("/v1/work/stream", params={"access_token": supervisor})).status_code == 403
        bad = await client.get("/v1/work/stream", params={"access_token": token()}, headers={"Last-Event-ID": "x"})
        assert bad.status_code == 422
    # The query token is taken on the stream only.
    elsewhere = await dispatch.svc.client.get("/v1/work/cases", params={"access_token": token()})
    assert elsewhere.status_code == 401


async def test_case_views_answer_304_while_unchanged_and_a_new_etag_after_a_change(dispatch):
    case_id = await dispatch.receive()
    headers = auth_header(Role.DEPARTMENT, TH_ECOLOGY)
    client = dispatch.svc.client
    for path in (f"/v1/work/cases/{case_id}", "/v1/work/cases"):
        first = await client.get(path, headers=headers)
        etag = first.headers["etag"]
        assert first.status_code == 200 and etag.startswith('"')
        again = await client.get(path, headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        assert (await client.get(path, headers={**headers, "If-None-Match": '"other"'})).status_code == 200

    old = (await client.get(f"/v1/work/cases/{case_id}", headers=headers)).headers["etag"]
    assert (await dispatch.act(case_id, "accept", TH_ECOLOGY)).status_code == 200
    changed = await client.get(f"/v1/work/cases/{case_id}", headers={**headers, "If-None-Match": old})
    assert changed.status_code == 200 and changed.json()["status"] == "accepted" and changed.headers["etag"] != old


async def test_a_retired_units_token_no_longer_opens_its_live_stream(dispatch):
    client = dispatch.svc.client
    admin = auth_header(Role.ADMIN)
    retired = await client.post(f"/v1/admin/units/{TH_ECOLOGY}/retire", json={"reason": "机构改革"}, headers=admin)
    assert retired.status_code == 200, retired.text
    # As on every other work route: the retired unit's token reads none of its cases, by header or by query.
    for request in ({"params": {"access_token": token()}}, {"headers": auth_header(Role.DEPARTMENT, TH_ECOLOGY)}):
        refused = await asyncio.wait_for(client.get("/v1/work/stream", **request), timeout=20)  # not a stream
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "unit_not_in_force", refused.text
