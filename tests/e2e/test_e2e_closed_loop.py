"""The closed loop across all four services (GZ Art. 17), in-process, over the real broker and real databases:
受理 -> 派单 -> 办理 -> 答复 -> 办结 -> 回访 -> 评价, and a dissatisfied evaluation that reopens the case."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack

import orjson
from e2e_support import PHONE, UNIT, _start_all, _status, report

from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.testing import ManualClock, auth_header, topic_reader, wait_for


async def _act(dispatch_client, case_id: str, action: str, body: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    r = await dispatch_client.post(
        f"/v1/work/cases/{case_id}/{action}", json=body or {}, headers=auth_header(Role.DEPARTMENT, UNIT)
    )
    assert r.status_code in (200, 201), (action, r.status_code, r.text)


async def _run_case_to_closed(svcs: dict, case_id: str) -> None:
    d = svcs["dispatch"].client

    async def in_queue():  # type: ignore[no-untyped-def]
        r = await d.get("/v1/work/cases", headers=auth_header(Role.DEPARTMENT, UNIT))
        return any(i["case_id"] == case_id for i in r.json()["items"])

    await wait_for(in_queue, timeout=20)
    await _act(d, case_id, "accept")
    await _act(d, case_id, "progress", {"note": "已联系施工单位，责令停止夜间施工"})
    await _act(d, case_id, "reply", {"content": "已责令整改，夜间施工已停止", "resolved": True})
    await _act(d, case_id, "close")
    await wait_for(lambda: _is(svcs["intake"].client, case_id, "closed"), timeout=20)


async def _is(client, case_id: str, status: str) -> bool:  # type: ignore[no-untyped-def]
    return await _status(client, case_id) == status


async def test_a_hotline_case_runs_the_whole_loop_and_its_record_is_complete_and_verifiable(
    broker, topic_prefix, databases
):
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        svcs = await _start_all(stack, broker, topic_prefix, databases, clock)
        r = await svcs["intake"].client.post(
            "/v1/hotline/reports", json=report(f"E2E-{uuid.uuid4().hex[:8]}"), headers=auth_header(Role.HOTLINE)
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        await _run_case_to_closed(svcs, case_id)
        case = (await svcs["intake"].client.get(f"/v1/cases/{case_id}", headers=auth_header(Role.HOTLINE))).json()
        assert UNIT in orjson.dumps(case).decode()
        r = await svcs["intake"].client.post(
            f"/v1/cases/{case_id}/visits",
            headers=auth_header(Role.HOTLINE),
            json={"contacted": True, "satisfaction": "satisfied", "comment": "满意"},
        )
        assert r.status_code == 201, r.text

        a = svcs["audit"].client

        async def loop_complete():  # type: ignore[no-untyped-def]
            rec = await a.get(f"/v1/records/{case_id}", headers=auth_header(Role.SUPERVISOR))
            return rec.json() if rec.status_code == 200 and rec.json()["loop"]["complete"] else None

        record = await wait_for(loop_complete, timeout=20)
        steps = [e["step"] for e in record["entries"]]
        for step in ("受理", "派单", "办理", "答复", "办结", "回访"):
            assert step in steps
        assert [e["seq"] for e in record["entries"]] == list(range(1, len(steps) + 1))
        verify = (await a.get(f"/v1/records/{case_id}/verify", headers=auth_header(Role.SUPERVISOR))).json()
        assert verify["valid"] is True and verify["first_bad_seq"] is None

        # escalation reads the close from its own topic, on its own time: audit's complete loop says nothing of it.
        async def a_clock_met():  # type: ignore[no-untyped-def]
            clocks = await svcs["escalation"].client.get(
                f"/v1/cases/{case_id}/clocks", headers=auth_header(Role.SUPERVISOR)
            )
            assert clocks.status_code == 200, clocks.text
            return any(c["state"] == "met" for c in clocks.json()["clocks"])

        await wait_for(a_clock_met, timeout=20)

        # The requester's phone number left intake in no event and shows in no department or audit view.
        view = await svcs["dispatch"].client.get(
            f"/v1/work/cases/{case_id}", headers=auth_header(Role.DEPARTMENT, UNIT)
        )
        assert PHONE not in view.text and "139****5678" in view.text
        assert PHONE not in orjson.dumps(record).decode()
        consumer = topic_reader(
            broker, *(topic_prefix + t for t in (topics.INTAKE, topics.DISPATCH, topics.ESCALATION))
        )
        await consumer.start()
        try:
            seen = []
            for _ in range(10):
                batch = await consumer.getmany(timeout_ms=300)
                seen += [m.value for msgs in batch.values() for m in msgs]
            assert seen and not any(PHONE.encode() in v for v in seen)
        finally:
            await consumer.stop()


async def test_a_dissatisfied_evaluation_reopens_the_case_to_the_same_unit_for_a_new_cycle(
    broker, topic_prefix, sqlite_only
):
    clock = ManualClock()
    async with AsyncExitStack() as stack:
        svcs = await _start_all(stack, broker, topic_prefix, sqlite_only, clock)
        r = await svcs["intake"].client.post(
            "/v1/hotline/reports", json=report(f"E2E-{uuid.uuid4().hex[:8]}"), headers=auth_header(Role.HOTLINE)
        )
        case_id = r.json()["case_id"]
        await _run_case_to_closed(svcs, case_id)
        r = await svcs["intake"].client.post(
            f"/v1/cases/{case_id}/visits",
            headers=auth_header(Role.HOTLINE),
            json={"contacted": True, "satisfaction": "dissatisfied", "comment": "仍有噪声"},
        )
        assert r.status_code == 201, r.text

        async def back_in_queue():  # type: ignore[no-untyped-def]
            v = await svcs["dispatch"].client.get(
                f"/v1/work/cases/{case_id}", headers=auth_header(Role.DEPARTMENT, UNIT)
            )
            return (
                v.status_code == 200 and v.json()["status"] in ("dispatched", "reopened") and v.json().get("cycle") == 2
            )

        await wait_for(back_in_queue, timeout=20)
        assert await _status(svcs["intake"].client, case_id) in ("reopened", "dispatched")
