"""The live stream of a unit's case changes (server-sent events, ``GET /v1/work/stream``).

Every commit that changes a case gives it the next number of dispatch's change sequence (``work_cases.change_seq``,
see ``CaseRepository.stamp_changes``). A stream sends each case of the unit whose number is past the last one it
sent, as a queue item, with that number as the event id, and a ``gone`` event for a case that left the unit
(transferred, returned, passed up, named anew without it); a client that reconnects with ``Last-Event-ID`` gets every
case that changed since (each once, as it is now), then the live changes. Commits in this process wake the streams at
once; commits of other replicas are seen at the next poll.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Row

from caseflow_common.errors import ApiError

if TYPE_CHECKING:
    from dispatch.uow import DispatchRuntime, DispatchUnitOfWork


@dataclass(frozen=True)
class StreamLimits:
    """How many streams a unit may hold open (per replica), how often a stream speaks or looks, how long it lasts."""

    max_per_unit: int = 5
    heartbeat_s: float = 15.0
    poll_s: float = 2.0
    max_s: float = 3600.0
    batch: int = 100


@dataclass
class ChangeFeed:
    """Wakes this process's streams after a commit that changed cases, counts the open streams per unit, and ends
    them all at shutdown."""

    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _open: Counter[str] = field(default_factory=Counter)
    closed: bool = False

    def notify(self) -> None:
        """Cases changed: every waiting stream looks now."""
        wake, self._wake = self._wake, asyncio.Event()
        wake.set()

    def close(self) -> None:
        """Shutdown: every stream ends after what it is sending."""
        self.closed = True
        self.notify()

    async def wait(self, timeout: float) -> None:
        """Until the next change in this process, shutdown, or `timeout` seconds."""
        wake = self._wake
        try:
            await asyncio.wait_for(wake.wait(), timeout)
        except TimeoutError:
            pass

    def open_streams(self, unit: str) -> int:
        return self._open[unit]

    def admit(self, unit: str, limit: int, retry_after_s: int = 15) -> Callable[[], None]:
        """Count one more open stream of the unit (429 past `limit`, 503 while shutting down, both with
        Retry-After); returns its release (safe to call twice)."""
        retry = {"Retry-After": str(retry_after_s)}
        if self.closed:
            raise ApiError(
                503, "unavailable", "the service is shutting down; reconnect to another replica", headers=retry
            )
        if self._open[unit] >= limit:
            raise ApiError(
                429,
                "too_many_streams",
                f"unit {unit} already holds {limit} open streams; close one or retry later",
                headers=retry,
            )
        self._open[unit] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._open[unit] -= 1

        return release


def _last(lines: list[dict[str, Any]], batch: int) -> int | None:
    return int(lines[-1]["change_id"]) if len(lines) == batch else None


def _last_gone(gone: list[tuple[str, int]], batch: int) -> int | None:
    return gone[-1][1] if len(gone) == batch else None


def sse(event: str, data: dict[str, Any], event_id: int) -> bytes:
    """One server-sent event."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, event.encode(), orjson.dumps(data))


async def case_changes(
    rt: DispatchRuntime,
    unit: str,
    after: int,
    release: Callable[[], None],
    items: Callable[[DispatchUnitOfWork, Sequence[Row[Any]]], Awaitable[list[dict[str, Any]]]],
) -> AsyncIterator[bytes]:
    """The stream's body: the unit's cases changed after change `after` (a queue item each, event `case`, id = its
    change number) and the cases that left it since (event `gone`, ``{"case_id", "change_id"}``), then live ones; a
    heartbeat comment when idle. Ends at shutdown or after ``max_s``; a client
    that goes away cancels it (Starlette listens for the disconnect). Releases the unit's stream slot however it
    ends."""
    feed, limits = rt.context.changes, rt.context.stream
    started = last_sent = time.monotonic()
    try:
        yield b"retry: 3000\n\n"
        while not feed.closed and time.monotonic() - started < limits.max_s:
            async with rt.uow() as uow:
                await uow.read_snapshot()  # each change sent as of its number, never with a later state mixed in
                rows = await uow.reads.changed_since(unit, after, limits.batch)
                gone = await uow.reads.departed_since(unit, after, limits.batch)
                lines = await items(uow, rows)
            # Both lists are in change order; when one filled its batch, nothing past its last is known yet.
            full = [seq for seq in (_last(lines, limits.batch), _last_gone(gone, limits.batch)) if seq is not None]
            cap = min(full, default=None)
            merged = sorted(
                [(int(i["change_id"]), "case", i) for i in lines]
                + [(seq, "gone", {"case_id": case_id, "change_id": seq}) for case_id, seq in gone]
            )
            for seq, event, data in merged:
                if cap is not None and seq > cap:
                    break
                after = seq
                yield sse(event, data, seq)
            if merged:
                last_sent = time.monotonic()
            if full:
                continue  # more are waiting
            await feed.wait(min(limits.poll_s, limits.heartbeat_s))
            if time.monotonic() - last_sent >= limits.heartbeat_s:
                yield b": heartbeat\n\n"
                last_sent = time.monotonic()
    finally:
        release()
