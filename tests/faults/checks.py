"""The checker: for every accepted case, in every service, once the stack has settled.

Per case it reads each service's own database (directly, never through a proxy: the checker is not a service) and,
at the end, each service's API:

- intake: the case exists and its status view (``GET /v1/cases/{id}``) says what dispatch says (status and unit);
- dispatch: the case is routed (dispatched / coordinating) by exactly one routing event in its outbox;
- escalation: it knows the case with the unit dispatch chose, and has its clocks (``GET /v1/cases/{id}/clocks``);
- audit: exactly one CaseReceived and one routing entry, every event the producers wrote about the case and no
  other, no event id twice, nothing held waiting for a cause, no entry recorded without its cause, and the chain
  verifies (``GET /v1/records/{id}/verify``).

A case missing somewhere is **lost**, one with an effect twice is **doubled**, one present but not progressed
(intake still says received while dispatch routed it, escalation without clocks, audit without the routing) is
**stuck** (a case can count in more than one column). ``settle`` polls until every case has passed for 1.5 s,
or a deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from load import LoadDriver, auth
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from stack import FaultStack

from caseflow_common.auth import Role

ROUTED = ("dispatched", "coordinating")
ROUTING_EVENTS = ("CaseDispatched", "CaseSentToCoordination")


@dataclass
class Figures:
    name: str
    sent: int = 0
    accepted: int = 0
    lost: int = 0
    doubled: int = 0
    stuck: int = 0
    recovery_s: float | None = None
    problems: dict[str, list[str]] = field(default_factory=dict)  # case_id -> what is wrong with it

    @property
    def clean(self) -> bool:
        return self.lost == self.doubled == self.stuck == 0

    def row(self) -> dict[str, Any]:
        return {
            "test": self.name,
            "sent": self.sent,
            "accepted": self.accepted,
            "lost": self.lost,
            "doubled": self.doubled,
            "stuck": self.stuck,
            "recovery_s": None if self.recovery_s is None else round(self.recovery_s, 1),
        }

    def explain(self, limit: int = 8) -> str:
        items = list(self.problems.items())[:limit]
        return f"{self.row()}; first problems: " + "; ".join(f"{c}: {', '.join(p)}" for c, p in items)


def _in(ids: list[str]) -> tuple[str, dict[str, str]]:
    names = [f"c{i}" for i in range(len(ids))]
    return "(" + ", ".join(f":{n}" for n in names) + ")", dict(zip(names, ids, strict=True))


class Checker:
    """Reads the four services' databases and APIs; one per stack."""

    def __init__(self, database_urls: dict[str, str], api: dict[str, httpx.AsyncClient], auth: Any) -> None:
        """``database_urls`` and ``api`` (an HTTP client per service, with its base URL) by service name."""
        self.engines: dict[str, AsyncEngine] = {
            name: create_async_engine(url, pool_size=1, max_overflow=0) for name, url in database_urls.items()
        }
        self.api, self.auth = api, auth

    async def close(self) -> None:
        for engine in self.engines.values():
            await engine.dispose()

    async def _rows(self, service: str, sql: str, ids: list[str]) -> list[Any]:
        clause, params = _in(ids)
        async with self.engines[service].connect() as conn:
            return list((await conn.execute(text(sql.replace(":ids", clause)), params)).all())

    async def inspect(self, case_ids: list[str]) -> dict[str, dict[str, list[str]]]:
        """Per case, the problems found in the databases, by kind: {"lost": [...], "doubled": [...], "stuck": [...]}."""
        found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        if not case_ids:
            return found
        ids = case_ids
        intake_cases = {
            r[0] for r in await self._rows("intake", "SELECT case_id FROM cases WHERE case_id IN :ids", ids)
        }
        intake_status = {
            r[0]: (r[1], r[2])
            for r in await self._rows(
                "intake", "SELECT case_id, status, unit FROM case_status WHERE case_id IN :ids", ids
            )
        }
        received_events = Counter(
            r[0]
            for r in await self._rows(
                "intake", "SELECT key FROM outbox WHERE event_type = 'CaseReceived' AND key IN :ids", ids
            )
        )
        work = {
            r[0]: (r[1], r[2] or r[3])
            for r in await self._rows(
                "dispatch", "SELECT case_id, status, unit, coordination_unit FROM work_cases WHERE case_id IN :ids", ids
            )
        }
        routed_events = Counter(
            r[0]
            for r in await self._rows(
                "dispatch",
                "SELECT key FROM outbox WHERE event_type IN ('CaseDispatched', 'CaseSentToCoordination') AND key IN :ids",
                ids,
            )
        )
        esc_cases = {
            r[0]: r[1]
            for r in await self._rows("escalation", "SELECT case_id, unit FROM cases WHERE case_id IN :ids", ids)
        }
        esc_clocks = Counter(
            r[0] for r in await self._rows("escalation", "SELECT case_id FROM clocks WHERE case_id IN :ids", ids)
        )
        entries: dict[str, Counter[str]] = defaultdict(Counter)
        event_ids: dict[str, Counter[str]] = defaultdict(Counter)
        flagged: set[str] = set()
        for case_id, event_type, event_id, cause_missing in await self._rows(
            "audit",
            "SELECT case_id, event_type, event_id, cause_missing FROM record_entries WHERE case_id IN :ids",
            ids,
        ):
            entries[case_id][event_type] += 1
            event_ids[case_id][event_id] += 1
            if cause_missing:
                flagged.add(case_id)
        held_rows = await self._rows("audit", "SELECT case_id, event_id FROM held_events WHERE case_id IN :ids", ids)
        held = Counter(r[0] for r in held_rows)
        held_ids = {r[1] for r in held_rows}
        emitted: dict[str, set[str]] = defaultdict(set)  # every event the producers wrote about the case
        for producer in ("intake", "dispatch", "escalation"):
            for key, event_id in await self._rows(producer, "SELECT key, event_id FROM outbox WHERE key IN :ids", ids):
                emitted[key].add(event_id)

        for c in ids:
            p = found[c]
            if c not in intake_cases:
                p["lost"].append("intake has no case")
            if received_events[c] != 1:
                (p["lost"] if received_events[c] == 0 else p["doubled"]).append(
                    f"intake CaseReceived x{received_events[c]}"
                )
            if c not in work:
                p["lost"].append("dispatch has no case")
            else:
                status, unit = work[c]
                if status not in ROUTED:
                    p["stuck"].append(f"dispatch status {status}")
                if routed_events[c] > 1:
                    p["doubled"].append(f"dispatch routed x{routed_events[c]}")
                elif routed_events[c] == 0:
                    p["stuck"].append("dispatch emitted no routing event")
                seen = intake_status.get(c)
                if seen is None:
                    p["lost"].append("intake has no status")
                elif seen != (status, unit):
                    p["stuck"].append(f"intake says {seen}, dispatch {(status, unit)}")
                if c not in esc_cases:
                    p["lost"].append("escalation has no case")
                elif esc_cases[c] != unit:
                    p["stuck"].append(f"escalation unit {esc_cases[c]} != {unit}")
            if c in esc_cases and not esc_clocks[c]:
                p["stuck"].append("escalation has no clocks")
            received = entries[c]["CaseReceived"]
            if received == 0:
                p["lost"].append("audit has no CaseReceived")
            elif received > 1:
                p["doubled"].append(f"audit CaseReceived x{received}")
            routing = sum(entries[c][t] for t in ROUTING_EVENTS)
            if routing > 1:
                p["doubled"].append(f"audit routing x{routing}")
            elif routing == 0 and received:
                p["stuck"].append("audit has no routing entry")
            twice = [e for e, n in event_ids[c].items() if n > 1]
            if twice:
                p["doubled"].append(f"audit event ids twice: {twice[:2]}")
            unrecorded = emitted[c] - set(event_ids[c]) - held_ids
            if unrecorded:
                p["lost"].append(f"audit misses {len(unrecorded)} of the case's {len(emitted[c])} events")
            if set(event_ids[c]) - emitted[c]:
                p["doubled"].append("audit recorded events no producer wrote")
            if held[c]:
                p["stuck"].append(f"audit holds {held[c]} events")
            if c in flagged:
                p["stuck"].append("audit recorded an event without its cause")
        return {c: {k: v for k, v in p.items() if v} for c, p in found.items() if any(p.values())}

    async def inspect_api(self, case_ids: list[str]) -> dict[str, dict[str, list[str]]]:
        """The same case through each service's API: intake's status view says it was routed, escalation answers its
        clocks, audit's chain verifies."""
        found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        sem = asyncio.Semaphore(4)
        intake, escalation, audit = self.api["intake"], self.api["escalation"], self.api["audit"]

        async def one(c: str) -> None:
            async with sem:
                r = await intake.get(f"/v1/cases/{c}", headers=self.auth(Role.HOTLINE))
                if r.status_code != 200:
                    found[c]["lost"].append(f"intake view {r.status_code}")
                elif r.json().get("status") not in ROUTED:
                    found[c]["stuck"].append(f"intake view says {r.json().get('status')}")
                r = await escalation.get(f"/v1/cases/{c}/clocks", headers=self.auth(Role.SUPERVISOR))
                if r.status_code != 200:
                    found[c]["lost"].append(f"escalation clocks {r.status_code}")
                elif not r.json().get("clocks"):
                    found[c]["stuck"].append("escalation view has no clocks")
                r = await audit.get(f"/v1/records/{c}/verify", headers=self.auth(Role.SUPERVISOR))
                if r.status_code != 200:
                    found[c]["lost"].append(f"audit verify {r.status_code}")
                elif not r.json().get("valid"):
                    found[c]["stuck"].append(f"audit chain invalid at {r.json().get('first_bad_seq')}")

        await asyncio.gather(*(one(c) for c in case_ids))
        return {c: {k: v for k, v in p.items() if v} for c, p in found.items()}

    async def settle(
        self, figures: Figures, case_ids: list[str], *, fault_ended: float, deadline_s: float = 60.0
    ) -> Figures:
        """Poll until every case passes twice in a row (``recovery_s``: from ``fault_ended`` until the first pass),
        or until the deadline; then check the API once and fill in the figures."""
        deadline = time.monotonic() + deadline_s
        problems: dict[str, dict[str, list[str]]] = {}
        passed_at: float | None = None
        while True:
            try:
                problems = await self.inspect(case_ids)
            except Exception as exc:  # a database briefly unreachable (the fault itself): look again
                problems = {"*": {"stuck": [f"checker could not read: {type(exc).__name__}: {exc}"]}}
            now = time.monotonic()
            if not problems:
                if passed_at is None:
                    passed_at = now
                elif now - passed_at >= 1.5:
                    break
            else:
                passed_at = None
            if now > deadline:
                break
            await asyncio.sleep(0.25)
        if not problems:
            problems = await self.inspect_api(case_ids)
        figures.recovery_s = None if passed_at is None or problems else max(0.0, passed_at - fault_ended)
        for kind in ("lost", "doubled", "stuck"):
            setattr(figures, kind, sum(1 for p in problems.values() if kind in p))
        figures.problems = {c: [f"{k}: {m}" for k, ms in p.items() for m in ms] for c, p in problems.items()}
        return figures


async def settle(
    stack: FaultStack, driver: LoadDriver, name: str, *, fault_ended: float | None = None, deadline_s: float = 60.0
) -> Figures:
    """Wait for the load to finish, then check every accepted case in every service until the stack settles."""
    await driver.wait()
    clients = {n: httpx.AsyncClient(base_url=p.url, timeout=10) for n, p in stack.procs.items()}
    checker = Checker(stack.database_urls, clients, auth)
    try:
        figures = Figures(name=name, sent=driver.sent, accepted=len(driver.accepted))
        return await checker.settle(
            figures, driver.case_ids, fault_ended=fault_ended or time.monotonic(), deadline_s=deadline_s
        )
    finally:
        await checker.close()
        for client in clients.values():
            await client.aclose()


# Tables that change with time alone (lease renewals, periodic audit anchors), not with what a service consumes.
TIMED_TABLES = frozenset({"leases", "anchors", "anchor_heads", "alembic_version"})


async def snapshot(url: str) -> dict[str, str]:
    """A digest of every table's rows in one service's database (time-driven tables left out)."""
    import hashlib

    from sqlalchemy import inspect

    engine = create_async_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            out: dict[str, str] = {}
            for name in sorted(set(names) - TIMED_TABLES):
                rows = sorted(repr(tuple(r)) for r in (await conn.execute(text(f'SELECT * FROM "{name}"'))).all())
                out[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            return out
    finally:
        await engine.dispose()
