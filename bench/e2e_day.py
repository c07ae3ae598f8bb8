"""bench/e2e.py's day: what it sends. The reports (hotline and grid mixed, categories and regions from data/demo,
deliberate repeats, anonymous requesters), the departments' follow-up (签收, 答复, 办结 with their own tokens) and the
hotline's return visits, over a small keep-alive HTTP/1.1 client."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from e2e_stack import DATA, HOST, Running
from e2e_watch import Seen

CST = timezone(timedelta(hours=8))
NET_ERRORS = (OSError, EOFError, ValueError)  # refused / reset / timed out, cut short, garbled

# --- a small keep-alive HTTP/1.1 client (the load generator must not eat the two cores it measures) --------------


class Http:
    """One keep-alive connection; request() returns (status, body, headers)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, body: bytes = b"", token: str = ""
    ) -> tuple[int, bytes, dict[str, str]]:
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        if method == "POST":
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        raw = head.encode() + b"\r\n" + body
        for attempt in range(2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
                assert self.reader is not None
                self.writer.write(raw)
                async with asyncio.timeout(60):  # a request never hangs the run
                    return await self._response(self.reader)
            except (ConnectionError, asyncio.IncompleteReadError, OSError, TimeoutError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _response(self, reader: asyncio.StreamReader) -> tuple[int, bytes, dict[str, str]]:
        line = await reader.readline()
        if not line:  # the server closed an idle keep-alive connection
            raise ConnectionResetError("connection closed by the server")
        status = int(line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int((await reader.readline()).strip() or b"0", 16):
                body += await reader.readexactly(size)
                await reader.readline()
            await reader.readline()
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            await self.close()
        return status, body, headers


# --- the day's reports ----------------------------------------------------------------------------------------------

NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴军")
WORDS = ("多次反映仍未解决", "影响居民正常生活", "希望尽快处理", "已持续一周", "夜间尤为严重", "存在安全隐患")
FREQUENT = {"urban.garbage": 6, "traffic.illegal_parking": 6, "env.noise.construction": 5, "urban.road_occupation": 4}
HOTLINE_LEVELS = {"community": 45, "grid": 25, "street": 25, "district": 5}  # levels a hotline report names


class Day:
    """Report bodies drawn from the demo catalogue and directory; remembers recent grid-placed cases for repeats."""

    def __init__(self, seed: int, grid_share: float, repeat_share: float, anonymous_share: float) -> None:
        self.rnd = random.Random(seed)
        self.run = uuid.uuid4().hex[:6]
        self.grid_share, self.repeat_share, self.anonymous_share = grid_share, repeat_share, anonymous_share
        cats = json.loads((DATA / "categories.json").read_text())
        regions = json.loads((DATA / "regions.json").read_text())
        self.by_level = {lvl: [r for r in regions if r["level"] == lvl] for lvl in HOTLINE_LEVELS}
        self.bbox = {r["code"]: r["bbox"] for r in regions if r["level"] == "grid"}
        self.cats = {ch: [c["code"] for c in cats if ch in c["channels"]] for ch in ("hotline", "grid")}
        self.weights = {ch: [FREQUENT.get(c, 1) for c in self.cats[ch]] for ch in self.cats}
        self.recent: deque[tuple[str, str, float, float]] = deque(maxlen=300)

    def _point(self, grid: str) -> tuple[float, float]:
        lat0, lon0, lat1, lon1 = self.bbox[grid]
        return round(self.rnd.uniform(lat0, lat1), 6), round(self.rnd.uniform(lon0, lon1), 6)

    def _when(self) -> str:
        return (datetime.now(CST) - timedelta(seconds=self.rnd.uniform(5, 120))).isoformat(timespec="seconds")

    def report(self, i: int) -> tuple[str, dict[str, Any], bool]:
        """(channel, body, anonymous) of the i-th report of the day."""
        rnd = self.rnd
        text = f"{rnd.choice(WORDS)}，{rnd.choice(WORDS)}（第{i}件）"
        if rnd.random() < self.grid_share:
            cat = rnd.choices(self.cats["grid"], self.weights["grid"])[0]
            grid = rnd.choice(self.by_level["grid"])["code"]
            lat, lon = self._point(grid)
            body = {
                "external_id": f"GD-{self.run}-{i:07d}",
                "observed_at": self._when(),
                "grid_code": grid,
                "reporter_id": f"GM-{rnd.randrange(1, 400):04d}",
                "category": cat,
                "description": f"巡查发现：{text}",
                "location": {"address": "巡查点位", "lat": lat, "lon": lon},
            }
            self.recent.append((cat, grid, lat, lon))
            return "grid", body, False
        location: dict[str, Any]
        if self.recent and rnd.random() < self.repeat_share:  # a repeat: same category, same grid, metres apart
            cat, grid, lat, lon = rnd.choice(self.recent)
            location = {"region_code": grid, "address": "同一地点", "lat": lat + 0.0001, "lon": lon}
        else:
            cat = rnd.choices(self.cats["hotline"], self.weights["hotline"])[0]
            level = rnd.choices(list(HOTLINE_LEVELS), list(HOTLINE_LEVELS.values()))[0]
            region = rnd.choice(self.by_level[level])["code"]
            location = {"region_code": region, "address": f"{rnd.randrange(1, 300)}号"}
            if level == "grid":
                location["lat"], location["lon"] = self._point(region)
                self.recent.append((cat, region, location["lat"], location["lon"]))
        anonymous = rnd.random() < self.anonymous_share
        requester = (
            {"anonymous": True}
            if anonymous
            else {"name": rnd.choice(NAMES), "phone": f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d}"}
        )
        body = {
            "external_id": f"HL-{self.run}-{i:07d}",
            "received_at": self._when(),
            "kind": rnd.choice(("complaint", "complaint", "request", "report", "suggestion")),
            "category": cat,
            "description": text,
            "location": location,
            "requester": requester,
        }
        return "hotline", body, anonymous


@dataclass
class Work:
    """The departments' and the hotline's follow-up: what to handle, what is in flight."""

    rnd: random.Random
    handle_share: float
    visit_share: float
    queue: asyncio.Queue[tuple[str, str, int]] = field(default_factory=asyncio.Queue)  # kind, case, attempt
    wanted: set[str] = field(default_factory=set)
    queued: set[str] = field(default_factory=set)
    busy: int = 0

    def put(self, kind: str, case: str, attempt: int = 0) -> None:
        self.busy += 1
        self.queue.put_nowait((kind, case, attempt))

    def routed(self, case: str) -> None:
        if case in self.wanted and case not in self.queued:
            self.queued.add(case)
            self.put("handle", case)


SATISFACTION = (("satisfied", 80), ("basically_satisfied", 15), ("dissatisfied", 5))


async def follow_up(run: Running, seen: Seen, work: Work) -> None:
    """One worker: a department handles a case (签收, 答复, 办结) with its own token; the hotline visits closed cases."""
    intake, dispatch = Http(run.stack.ports["intake"]), Http(run.stack.ports["dispatch"])
    while True:
        kind, case, attempt = await work.queue.get()
        try:
            if kind == "handle":
                await handle(dispatch, run, seen, work, case)
            elif await visit(intake, run, seen, case) == 409 and attempt < 60:  # intake has not seen 办结 yet
                work.busy += 1
                asyncio.get_running_loop().call_later(0.5, work.queue.put_nowait, (kind, case, attempt + 1))
        except NET_ERRORS as exc:
            seen.act(f"{kind} failed: {type(exc).__name__}")
        finally:
            work.busy -= 1


async def post(conn: Http, path: str, body: bytes, token: str, seen: Seen | None = None) -> tuple[int, bytes]:
    """POST, waiting out 429 / 503 as their Retry-After says (bounded)."""
    for _ in range(20):
        status, resp, headers = await conn.request("POST", path, body, token)
        if status not in (429, 503):
            return status, resp
        if seen is not None:
            seen.count(str(status))
        await asyncio.sleep(min(5.0, float(headers.get("retry-after", "1"))))
    return status, resp


async def handle(conn: Http, run: Running, seen: Seen, work: Work, case: str) -> None:
    _, _, unit, _ = seen.routed[case]
    token = run.tokens["departments"].get(unit)
    if token is None:
        seen.act("not a department's (coordination)")
        return
    steps = [
        ("accept", b""),
        ("reply", orjson.dumps({"content": "经核查已处理完毕，已告知诉求人。", "resolved": True})),
    ]
    if work.rnd.random() < 0.3:
        steps.insert(1, ("progress", orjson.dumps({"note": "已安排人员现场核查"})))
    for action, body in [*steps, ("close", b"")]:
        status, _ = await post(conn, f"/v1/work/cases/{case}/{action}", body, token)
        seen.act(f"{action} {status}")
        if status >= 300:
            return
    channel, anonymous, _ = seen.created[case]
    if channel == "hotline" and not anonymous and work.rnd.random() < work.visit_share:
        work.put("visit", case)


async def visit(conn: Http, run: Running, seen: Seen, case: str) -> int:
    rnd = random.Random(case)
    satisfaction = rnd.choices([s for s, _ in SATISFACTION], [w for _, w in SATISFACTION])[0]
    body = orjson.dumps({"contacted": True, "satisfaction": satisfaction, "comment": "回访已完成"})
    status, _ = await post(conn, f"/v1/cases/{case}/visits", body, run.tokens["hotline"])
    if status != 409:
        seen.act(f"visit {status}")
    return status


async def poster(run: Running, args: argparse.Namespace, day: Day, seen: Seen, work: Work, counter: Any) -> None:
    conn = Http(run.stack.ports["intake"])
    t0 = time.monotonic()
    for i in counter:
        if args.rate > 0 and (wait := t0 + i / args.rate - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        channel, body, anonymous = day.report(i)
        t = time.perf_counter()
        try:
            status, resp = await post(conn, f"/v1/{channel}/reports", orjson.dumps(body), run.tokens[channel], seen)
        except NET_ERRORS as exc:
            seen.count(type(exc).__name__)
            continue
        seen.post_lat.append(time.perf_counter() - t)
        seen.last_post = time.time()
        seen.count(str(status))
        if status in (200, 201):
            answer = orjson.loads(resp)
            case, merged = answer["case_id"], answer["status"] == "merged"
            seen.created[case] = (channel, anonymous, merged)
            seen.waiting.add(case)
            if not merged and work.rnd.random() < work.handle_share:
                work.wanted.add(case)
                if case in seen.routed:
                    work.routed(case)
        elif seen.statuses[str(status)] <= 3:
            print(f"report refused: {status} {resp[:300]!r}", file=sys.stderr)
    await conn.close()
