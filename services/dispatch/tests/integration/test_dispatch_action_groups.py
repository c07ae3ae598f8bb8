"""Departments' actions that arrive together share a transaction (group commit), and each still answers for itself:
an accepted action is written and published once, a refused one writes nothing, two actions on one case in one
group apply in their order, and a group the database refuses leaves nothing behind."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from prometheus_client import REGISTRY

TH_ECOLOGY = "GZ-TH-HJ"  # the demo routing's target for construction noise in 天河
OTHER = "GZ-CG"  # the city management bureau: none of these cases is its own
WRITER = {"writer": "dispatch_actions"}


def _grouped() -> tuple[float, float]:
    """(actions written, transactions that wrote them) so far in this process."""
    items = REGISTRY.get_sample_value("caseflow_group_commit_items_sum", WRITER) or 0.0
    groups = REGISTRY.get_sample_value("caseflow_group_commit_items_count", WRITER) or 0.0
    return items, groups


async def test_actions_arriving_together_share_a_transaction_and_each_answers_for_itself(dispatch):
    cases = [await dispatch.receive() for _ in range(8)]
    twice, refused_close, foreign = cases[0], cases[1], cases[2]
    before = _grouped()

    calls = [dispatch.act(c, "accept", TH_ECOLOGY) for c in cases]
    calls += [
        dispatch.act(twice, "accept", TH_ECOLOGY),  # the same case again, behind its first accept: 409
        dispatch.act(twice, "progress", TH_ECOLOGY, {"note": "已到现场"}),  # after both, in their order: 200
        dispatch.act(refused_close, "close", TH_ECOLOGY),  # no reply yet: 409, nothing written
        dispatch.act(foreign, "reply", OTHER, {"content": "不是本单位", "resolved": False}),  # not its case: 404
    ]
    answers = await asyncio.gather(*calls)

    assert [a.status_code for a in answers] == [200] * 8 + [409, 200, 409, 404], [a.text for a in answers]
    assert all(a.json()["status"] == "accepted" for a in answers[1:8])
    assert answers[9].json()["status"] == "in_progress"
    items, groups = (now - then for now, then in zip(_grouped(), before, strict=True))
    assert items == len(calls) and groups < items  # some transactions wrote more than one action

    view = await dispatch.case(twice, TH_ECOLOGY)
    assert [a["action"] for a in view["actions"]] == ["dispatched", "accept", "progress"]
    assert view["status"] == "in_progress"
    assert [a["action"] for a in (await dispatch.case(refused_close, TH_ECOLOGY))["actions"]] == [
        "dispatched",
        "accept",
    ]
    for case_id in cases:  # every accepted action published once, nothing of the refused ones
        events = await dispatch.published(case_id, 2)
        assert [e["event_type"] for e in events] == ["CaseDispatched", "CaseAccepted"]
    published = await dispatch.published(twice, 3)
    assert [e["event_type"] for e in published] == ["CaseDispatched", "CaseAccepted", "CaseProgressNoted"]
    assert [e["case_id"] for e in dispatch.seen].count(refused_close) == 2
    assert [e["case_id"] for e in dispatch.seen].count(foreign) == 2


async def test_a_group_the_database_refuses_leaves_nothing_and_each_action_answers_503(dispatch, databases):
    if databases.backend != "sqlite":
        pytest.skip("the fault is SQLite's write lock, held by another connection")
    cases = [await dispatch.receive() for _ in range(6)]
    path = dispatch.svc.runtime.engine.url.database
    blocker = sqlite3.connect(path, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database longer than a statement waits for it
    try:
        answers = await asyncio.gather(*(dispatch.act(c, "accept", TH_ECOLOGY) for c in cases))
    finally:
        blocker.rollback()
        blocker.close()
    assert {a.status_code for a in answers} == {503}, [a.text for a in answers]
    for case_id in cases:  # nothing of the failed group stayed
        assert [a["action"] for a in (await dispatch.case(case_id, TH_ECOLOGY))["actions"]] == ["dispatched"]

    again = await asyncio.gather(*(dispatch.act(c, "accept", TH_ECOLOGY) for c in cases))
    assert [a.status_code for a in again] == [200] * len(cases)
    for case_id in cases:
        assert [a["action"] for a in (await dispatch.case(case_id, TH_ECOLOGY))["actions"]] == ["dispatched", "accept"]
