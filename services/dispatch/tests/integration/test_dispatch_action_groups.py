"""Departments' actions that arrive together share a transaction (group commit), and each still answers for itself:
an accepted action is written and published once, a refused one writes nothing, two actions on one case in one
group apply in their order, a group the database refuses leaves nothing behind, and a group's saves go out in one
statement where the database counts the rows of each."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import update

from caseflow_common.testing import Statement, statements
from dispatch.orm import work_cases
from dispatch.repository import ConcurrentUpdate

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


def case_saves(seen: list[Statement]) -> list[int]:
    """The rows each statement saving cases' state carried (1 for a single save)."""
    return [
        st.rows
        for st in seen
        if st.sql.startswith("UPDATE work_cases SET") and "row_version = " in st.sql.split("WHERE", 1)[-1]
    ]


async def test_a_groups_saves_go_out_together_and_a_case_changed_behind_its_back_refuses_the_group(dispatch, databases):
    cases = [await dispatch.receive() for _ in range(5)]
    now = dispatch.clock()
    with statements(dispatch.svc.runtime.engine) as seen:
        async with dispatch.svc.runtime.uow() as uow:
            await uow.cases.preload(cases)
            uow.cases.defer_saves()  # as a group of actions writes
            for case_id in cases:
                file = await uow.cases.get(case_id)
                assert file is not None
                file.case.accept(TH_ECOLOGY, at=now)
                await uow.cases.save(file, now)
            again = await uow.cases.get(cases[0])  # read back in the group: its save went out first
            assert again is not None and again.case.status == "accepted"
            again.case.note_progress(TH_ECOLOGY, "已到现场", at=now)
            await uow.cases.save(again, now)
            await uow.commit()
    # SQLite counts the rows of each save in a batch: the group's saves in one statement (and the case saved again
    # after a read in another); asyncpg counts none, so there each case's save is a statement of its own.
    assert case_saves(seen) == ([5, 1] if databases.backend == "sqlite" else [1] * 6)
    for case_id in cases:
        assert (await dispatch.case(case_id, TH_ECOLOGY))["status"] == (
            "in_progress" if case_id == cases[0] else "accepted"
        )

    # Someone else changes one of the group's cases between its read and the group's write: the group is refused
    # as a whole (the action would overwrite what it never saw), and nothing of it stays.
    async with dispatch.svc.runtime.uow() as uow:
        await uow.cases.preload(cases[1:3])
        uow.cases.defer_saves()
        for case_id in cases[1:3]:
            file = await uow.cases.get(case_id)
            assert file is not None
            file.case.note_progress(TH_ECOLOGY, "处理中", at=now)
            await uow.cases.save(file, now)
        # (written here past the repository, as another transaction's committed write would be seen)
        bump = work_cases.c.row_version + 1
        await uow.session.execute(update(work_cases).where(work_cases.c.case_id == cases[2]).values(row_version=bump))
        with pytest.raises(ConcurrentUpdate):
            await uow.commit()
    for case_id in cases[1:3]:  # neither progress note stayed
        assert (await dispatch.case(case_id, TH_ECOLOGY))["status"] == "accepted"
