"""The fault tests' load: distinct hotline reports (``hotline_report``) and the driver that posts them to intake at a
steady rate, retrying the way a hotline system would, and records every accepted case (``LoadDriver``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from caseflow_common.auth import Role
from caseflow_common.testing import TEST_SECRET, tokens

auth = tokens(TEST_SECRET)


CATEGORIES = ("env.noise.construction", "env.noise.restaurant", "urban.garbage", "urban.street_light")
STREETS = ("440106001", "440103001", "440104001", "440103002")


def hotline_report(external_id: str, i: int, *, received_at: datetime | None = None) -> dict[str, Any]:
    """A distinct, valid hotline report (no coordinates, so no two are repeats of each other), received a minute
    before ``received_at`` (default: the real clock; a test on a manual clock passes that clock's time, since intake
    refuses report times far in the past or in the future)."""
    taken = (received_at or datetime.now(UTC)) - timedelta(minutes=1)
    return {
        "external_id": external_id,
        "received_at": taken.isoformat(),
        "kind": "complaint",
        "category": CATEGORIES[i % len(CATEGORIES)],
        "description": f"故障注入测试诉求 {external_id}：夜间噪声与垃圾问题",
        "location": {"region_code": STREETS[(i // len(CATEGORIES)) % len(STREETS)], "address": f"测试路{i}号"},
        "requester": {"name": "王测试", "phone": f"139{i:08d}"},
    }


@dataclass
class LoadDriver:
    """POSTs ``count`` distinct hotline reports to intake at about ``rate`` per second, ``concurrency`` at a time.
    A report is retried (same body, same external_id: intake answers 200 with the same case) after a 503 (waiting
    its Retry-After) or a lost connection, until ``give_up_s``. Every accepted case id (201 or 200) is recorded."""

    intake_url: Callable[[], str]
    count: int
    rate: float = 12.0
    concurrency: int = 3
    give_up_s: float = 60.0
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    sent: int = 0
    accepted: dict[str, str] = field(default_factory=dict)  # external_id -> case_id
    statuses: Counter[int] = field(default_factory=Counter)  # every HTTP answer, retries included
    errors: list[str] = field(default_factory=list)  # answers a client must never see (500, 503 without Retry-After)
    retry_after_seen: set[str] = field(default_factory=set)
    _task: asyncio.Task[None] | None = None
    _progress: asyncio.Event = field(default_factory=asyncio.Event)
    _finishing: bool = False

    @property
    def case_ids(self) -> list[str]:
        return list(self.accepted.values())

    def start(self) -> LoadDriver:
        self._task = asyncio.create_task(self.run())
        return self

    def finish(self) -> None:
        """Send no further report (``count`` is then an upper bound); those sent are still seen through."""
        self._finishing = True

    async def wait(self) -> None:
        if self._task is not None:
            await self._task

    async def wait_accepted(self, n: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.accepted) < n:
            if self._task is not None and self._task.done():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.accepted)} of {n} reports accepted within {timeout}s")
            self._progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), timeout=0.5)

    async def run(self) -> None:
        gate = asyncio.Semaphore(self.concurrency)
        headers = auth(Role.HOTLINE)
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=2.0), headers=headers) as client:

            async def one(i: int) -> None:
                async with gate:
                    await self._post(client, i)

            jobs = []
            for i in range(self.count):
                if self._finishing:
                    break
                jobs.append(asyncio.create_task(one(i)))
                await asyncio.sleep(1 / self.rate)
            await asyncio.gather(*jobs)

    async def _post(self, client: httpx.AsyncClient, i: int) -> None:
        external_id = f"F-{self.run_id}-{i:04d}"
        body = hotline_report(external_id, i)
        self.sent += 1
        deadline = time.monotonic() + self.give_up_s
        while time.monotonic() < deadline:
            try:
                r = await client.post(f"{self.intake_url()}/v1/hotline/reports", json=body)
            except httpx.HTTPError:
                await asyncio.sleep(0.3)  # intake is down or restarting: the same report again
                continue
            self.statuses[r.status_code] += 1
            if r.status_code in (200, 201):
                self.accepted[external_id] = r.json()["case_id"]
                self._progress.set()
                return
            if r.status_code == 503 and "retry-after" in r.headers:
                self.retry_after_seen.add(r.headers["retry-after"])
                await asyncio.sleep(float(r.headers["retry-after"]))
                continue
            self.errors.append(f"{r.status_code} {r.headers.get('retry-after')} {r.text[:300]}")
            if r.status_code >= 500:
                await asyncio.sleep(0.3)
                continue
            return  # a 4xx: the report itself was refused (never expected here)
