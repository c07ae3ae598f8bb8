"""并单 across all four services: three requesters report the same matter at the same place; one main case is
handled; every requester is replied to, closed, visited and evaluated on their own, every loop completes in audit,
and the unit's satisfaction rate counts each evaluation (DOMAIN.md, repeat requests; GZ Art. 17)."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from typing import Any

from e2e_support import UNIT, _start_all, _status, report

from caseflow_common.auth import Role
from caseflow_common.testing import ManualClock, auth_header, wait_for

HOTLINE = auth_header(Role.HOTLINE)
SUPERVISOR = auth_header(Role.SUPERVISOR)
DEPT = auth_header(Role.DEPARTMENT, UNIT)


def repeat(external_id: str, phone: str, name: str) -> dict[str, Any]:
    body = report(external_id)
    body["location"] = {**body["location"], "lat": 23.1372, "lon": 113.3245}
    body["requester"] = {"name": name, "phone": phone, "anonymous": False}
    return body


async def _act(svcs: dict, case_id: str, action: str, body: dict | None = None) -> None:
    r = await svcs["dispatch"].client.post(f"/v1/work/cases/{case_id}/{action}", json=body or {}, headers=DEPT)
    assert r.status_code in (200, 201), (action, r.status_code, r.text)


async def _handle(svcs: dict, case_id: str) -> None:
    async def in_queue() -> bool:
        r = await svcs["dispatch"].client.get("/v1/work/cases", headers=DEPT)
        return any(i["case_id"] == case_id and i["status"] in ("dispatched", "reopened") for i in r.json()["items"])

    await wait_for(in_queue, timeout=60)
    await _act(svcs, case_id, "accept")
    await _act(svcs, case_id, "reply", {"content": "已责令整改，夜间施工已停止", "resolved": True})
    await _act(svcs, case_id, "close")


async def _visit(svcs: dict, case_id: str, satisfaction: str) -> None:
    r = await svcs["intake"].client.post(
        f"/v1/cases/{case_id}/visits", headers=HOTLINE, json={"contacted": True, "satisfaction": satisfaction}
    )
    assert r.status_code == 201, (case_id, r.text)


async def _loop_complete(svcs: dict, case_id: str) -> bool:
    r = await svcs["audit"].client.get(f"/v1/records/{case_id}", headers=SUPERVISOR)
    return r.status_code == 200 and bool(r.json()["loop"]["complete"])


async def test_three_requesters_of_one_matter_are_each_replied_closed_visited_and_evaluated_on_their_own(
    broker, topic_prefix, databases
):
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        svcs = await _start_all(stack, broker, topic_prefix, databases, clock)
        ids: list[str] = []
        merged: list[str | None] = []
        for n, (phone, name) in enumerate([("13911110001", "王一"), ("13911110002", "王二"), ("13911110003", "王三")]):
            r = await svcs["intake"].client.post(
                "/v1/hotline/reports", json=repeat(f"REP-{uuid.uuid4().hex[:8]}-{n}", phone, name), headers=HOTLINE
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["case_id"])
            merged.append(r.json().get("merged_into"))
            clock.advance(minutes=10)
        main, first, second = ids
        assert merged == [None, main, main]  # one main case; the two repeats joined it

        await _handle(svcs, main)
        for case_id in ids:  # the reply and the closure reach every requester
            await wait_for(lambda c=case_id: _is_closed(svcs, c), timeout=60)
        await _visit(svcs, main, "satisfied")
        await _visit(svcs, first, "satisfied")
        await _visit(svcs, second, "dissatisfied")  # this requester's own case reopens, for a cycle of its own

        await _handle(svcs, second)
        await wait_for(lambda: _is_closed(svcs, second), timeout=60)
        await _visit(svcs, second, "satisfied")

        for case_id in ids:
            await wait_for(lambda c=case_id: _loop_complete(svcs, c), timeout=60)
            verify = await svcs["audit"].client.get(f"/v1/records/{case_id}/verify", headers=SUPERVISOR)
            assert verify.json()["valid"] is True

        async def unit_figures() -> dict | None:
            r = await svcs["audit"].client.get(
                "/v1/assessment/units", params={"from": "2026-11-01", "to": "2026-12-31"}, headers=SUPERVISOR
            )
            rows = r.json()["items"] if r.status_code == 200 else []
            row = next((x for x in rows if x["unit"] == UNIT), None)
            return row if row and row["satisfaction"]["denominator"] >= 4 else None

        row = await wait_for(unit_figures, timeout=60)
        # Four evaluations by hand: main satisfied, first satisfied, second dissatisfied then satisfied.
        assert (row["satisfaction"]["numerator"], row["satisfaction"]["denominator"]) == (3, 4)


async def _is_closed(svcs: dict, case_id: str) -> bool:
    return await _status(svcs["intake"].client, case_id) == "closed"
