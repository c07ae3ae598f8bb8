"""A consumed batch's new cases are written together, before anything reads or changes them: a repeat merged into a
case routed in the same batch, and a case routed and then changed in it, come out as if each event had been applied
on its own, and every case takes its own number in the change sequence."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from caseflow_common.contracts.intake import CaseMerged
from caseflow_common.events import Actor, Envelope, new_event
from dispatch.handlers import on_case_merged, on_case_received
from dispatch.orm import work_cases

TH_ECOLOGY = "GZ-TH-HJ"  # the demo routing's target for construction noise in 天河
INTAKE = Actor(role="system", id="intake")


def _received(dispatch, case_id: str) -> Envelope:
    payload = dispatch.received(case_id)
    return new_event(payload, case_id=case_id, producer="intake", actor=INTAKE, occurred_at=dispatch.clock())


async def test_one_batch_routes_its_new_cases_merges_a_repeat_into_one_and_numbers_each(dispatch):
    ids = [f"C-{uuid.uuid4().hex[:12]}" for _ in range(4)]
    main, repeat = ids[0], ids[3]
    received = [_received(dispatch, case_id) for case_id in ids]
    merge = new_event(
        CaseMerged(
            into_case_id=main,
            category="env.noise.construction",
            region_code="440106001001",
            received_at=dispatch.clock(),
        ),
        case_id=repeat,
        producer="intake",
        actor=INTAKE,
        occurred_at=dispatch.clock(),
    )
    runtime = dispatch.svc.runtime
    async with runtime.uow() as uow:  # what the consumer does with one batch of these five events
        await uow.prepare([*received, merge])
        for env in received:
            await on_case_received(env, uow, runtime.context)
        await on_case_merged(merge, uow, runtime.context)
        await uow.commit()

    view = await dispatch.case(main, TH_ECOLOGY)
    assert view["status"] == "dispatched" and view["merged_case_ids"] == [repeat]
    assert (await dispatch.case(repeat, TH_ECOLOGY))["status"] == "merged"
    for case_id in ids[1:3]:
        assert (await dispatch.case(case_id, TH_ECOLOGY))["status"] == "dispatched"
    async with runtime.uow() as uow:
        rows = (await uow.session.execute(select(work_cases.c.change_seq).where(work_cases.c.case_id.in_(ids)))).all()
    numbers = [r.change_seq for r in rows]
    assert len(numbers) == 4 and None not in numbers and len(set(numbers)) == 4


async def test_a_case_routed_and_read_again_in_the_same_unit_of_work_is_the_one_just_written(dispatch):
    case_id = f"C-{uuid.uuid4().hex[:12]}"
    runtime = dispatch.svc.runtime
    async with runtime.uow() as uow:
        await on_case_received(_received(dispatch, case_id), uow, runtime.context)
        file = await uow.cases.get(case_id)  # before the commit: the new row is written first
        assert file is not None and file.case.unit == TH_ECOLOGY and file.row_version == 1
        file.case.accept(TH_ECOLOGY, at=dispatch.clock())
        await uow.cases.save(file, dispatch.clock())
        await uow.commit()
    assert (await dispatch.case(case_id, TH_ECOLOGY))["status"] == "accepted"
