"""Reactions to other services' events: redelivery, repeats merged, reopened cases, supervision."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from caseflow_common import topics
from caseflow_common.contracts.escalation import SlaWarningIssued, SupervisionActionIssued, SupervisionActionResolved
from caseflow_common.contracts.intake import CaseMerged, CaseReceived, CaseReopened
from caseflow_common.testing import wait_for

TH_ECOLOGY = "GZ-TH-HJ"


async def test_a_redelivered_case_received_does_not_dispatch_twice(dispatch):
    env = await dispatch.send(
        CaseReceived(
            channel="grid",
            external_id="G-1",
            category="env.noise.construction",
            urgency="normal",
            description="夜间施工",
            region_code="440106001001-01",
            received_at=dispatch.clock(),
        ),
        "C-redelivered",
    )
    for _ in range(2):
        await dispatch.send_envelope(env)
    later = await dispatch.receive()  # on the same topic, after the repeats
    await dispatch.published(later, 1)
    await asyncio.sleep(0.3)
    await dispatch.published(later, 1)
    assert [e["event_type"] for e in dispatch.seen if e["case_id"] == "C-redelivered"] == ["CaseDispatched"]
    view = await dispatch.case("C-redelivered", TH_ECOLOGY)
    assert [a["action"] for a in view["actions"]] == ["dispatched"] and view["requester"] is None


async def test_a_repeat_joins_the_open_case_and_becomes_merged(dispatch):
    open_case = await dispatch.receive()
    repeat = await dispatch.receive()
    await dispatch.send(
        CaseMerged(
            into_case_id=open_case,
            category="env.noise.construction",
            region_code="440106001001",
            received_at=dispatch.clock(),
        ),
        repeat,
    )
    await dispatch.send(
        CaseMerged(
            into_case_id=open_case,
            category="env.noise.construction",
            region_code="440106001001",
            received_at=dispatch.clock(),
        ),
        "C-never-routed",
    )

    async def merged() -> bool:
        return (await dispatch.case(open_case, TH_ECOLOGY))["repeat_count"] == 2

    await wait_for(merged, timeout=20)
    view = await dispatch.case(open_case, TH_ECOLOGY)
    assert sorted(view["merged_case_ids"]) == sorted([repeat, "C-never-routed"])
    assert (await dispatch.case(repeat, TH_ECOLOGY))["status"] == "merged"
    assert (await dispatch.act(repeat, "accept", TH_ECOLOGY)).status_code == 409


async def test_a_reopened_case_returns_to_the_same_unit_in_a_new_cycle_with_supervision_attached(dispatch):
    case_id = await dispatch.receive()
    for action, body in [("accept", None), ("reply", {"content": "已处理", "resolved": True}), ("close", None)]:
        assert (await dispatch.act(case_id, action, TH_ECOLOGY, body)).status_code == 200
    deadline = dispatch.clock() + timedelta(days=3)
    await dispatch.send(
        SupervisionActionIssued(
            action_id="A-1", rung="supervise", unit=TH_ECOLOGY, case_ids=[case_id], rectification_deadline=deadline
        ),
        case_id,
        topics.ESCALATION,
    )
    await dispatch.send(
        SlaWarningIssued(clock_kind="close", unit=TH_ECOLOGY, deadline=deadline), case_id, topics.ESCALATION
    )
    await dispatch.send(
        SupervisionActionResolved(action_id="A-1", rung="supervise", unit=TH_ECOLOGY), case_id, topics.ESCALATION
    )
    await dispatch.send(CaseReopened(reason="市民不满意", cycle=2), case_id)

    async def reopened() -> dict | None:
        view = await dispatch.case(case_id, TH_ECOLOGY)
        return (
            view
            if view["cycle"] == 2
            and view["supervision"]
            and view["warnings"]
            and view["supervision"][0]["status"] == "resolved"
            else None
        )

    view = await wait_for(reopened, timeout=20)
    assert view["status"] == "dispatched" and view["unit"] == TH_ECOLOGY
    assert view["supervision"][0]["rung"] == "supervise" and view["warnings"][0]["clock_kind"] == "close"
    events = await dispatch.published(case_id, 5)
    assert events[-1]["event_type"] == "CaseDispatched" and events[-1]["payload"]["cycle"] == 2
    assert events[-1]["payload"]["reason"] == "reopened"
    assert (await dispatch.act(case_id, "accept", TH_ECOLOGY)).status_code == 200
