"""A consumed batch leaves every case's clocks as its events one by one would, and announces each case once: the
clocks of a batch's cases are recomputed at commit, from all their facts, and written in one statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from caseflow_common import topics
from caseflow_common.contracts import dispatch as d
from caseflow_common.events import Actor, Envelope, Payload, new_event
from caseflow_common.testing import ManualClock, signed
from escalation.orm import case_regions, clocks
from escalation.repository import Repository

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
END = AT + timedelta(hours=3)


def _events(esc) -> list[tuple[str, Payload, datetime]]:  # type: ignore[no-untyped-def]
    """Three cases, interleaved as the two topics deliver them: A dispatched and accepted, B dispatched, C only
    received (no unit, so no clocks)."""
    return [
        ("C-A", esc.received(AT), AT),
        ("C-B", esc.received(AT + timedelta(minutes=1)), AT + timedelta(minutes=1)),
        ("C-A", esc.dispatched(AT + timedelta(minutes=2)), AT + timedelta(minutes=2)),
        ("C-C", esc.received(AT + timedelta(minutes=3)), AT + timedelta(minutes=3)),
        ("C-B", esc.dispatched(AT + timedelta(minutes=4)), AT + timedelta(minutes=4)),
        ("C-A", d.CaseAccepted(unit=esc.UNIT, at=AT + timedelta(hours=1)), AT + timedelta(hours=1)),
    ]


async def _clock_rows(svc) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Every stored clock, without its row id."""
    async with svc.runtime.sessions() as s:
        rows = (await s.execute(select(clocks).order_by(clocks.c.case_id, clocks.c.kind, clocks.c.leg))).all()
    return [tuple(v for k, v in r._mapping.items() if k != "id") for r in rows]


def _announced(events: list[Envelope]) -> dict[str, list[Envelope]]:
    by_case: dict[str, list[Envelope]] = {}
    for e in events:
        by_case.setdefault(e.case_id, []).append(e)
    return by_case


async def test_a_batch_leaves_the_clocks_of_its_events_one_by_one_and_announces_each_case_once(
    escalation, databases, topic_prefix, esc
):
    events = _events(esc)
    async with escalation(await databases.new_url("one-by-one"), ManualClock(END)) as single:
        for case_id, payload, at in events:
            await esc.feed(single.runtime, case_id, payload, at)
        expected = await _clock_rows(single)
        one_by_one = _announced(await esc.outbox_events(single.runtime, "ClocksUpdated"))

    async with escalation(await databases.new_url("batch"), ManualClock(END), workers=True) as svc:
        sent: list[Envelope] = []
        records = []
        for offset, (case_id, payload, at) in enumerate(events):
            topic = topics.DISPATCH if isinstance(payload, d.CaseDispatched | d.CaseAccepted) else topics.INTAKE
            producer = "dispatch" if topic == topics.DISPATCH else "intake"
            env = new_event(payload, case_id=case_id, producer=producer, actor=Actor(role="system"), occurred_at=at)
            sent.append(env)
            records.append((topic_prefix + topic, 0, offset, case_id.encode(), signed(env).to_bytes()))
        await svc.runtime.consumer.process_batch(records)

        assert await _clock_rows(svc) == expected and expected  # the same clocks, to the last column
        announced = _announced(await esc.outbox_events(svc.runtime, "ClocksUpdated"))
        assert sorted(announced) == sorted(one_by_one) == ["C-A", "C-B"]  # C has no unit yet: no clocks
        assert len(one_by_one["C-A"]) == 2  # one by one, A is announced at its dispatch and at its acceptance
        for case_id, [once] in announced.items():  # a batch announces each case once: its state after the batch
            assert once.payload == one_by_one[case_id][-1].payload
            last = [e for c, e in zip([c for c, _, _ in events], sent, strict=True) if c == case_id][-1]
            assert once.causation_id == str(last.event_id)

        await svc.runtime.consumer.process_batch(records)  # delivered again: nothing recomputed, nothing announced
        assert await _clock_rows(svc) == expected
        assert len(await esc.outbox_events(svc.runtime, "ClocksUpdated")) == 2


async def _hotspot_outcome(svc, esc) -> tuple[list[tuple], list[tuple]]:  # type: ignore[no-untyped-def]
    """The warnings raised (region, count, cases, the case whose event raised it) and the stored sightings."""
    raised = await esc.outbox_events(svc.runtime, "PatternWarningRaised")
    warnings = sorted(
        (e.payload["region_code"], e.payload["count"], tuple(sorted(e.payload["case_ids"])), e.case_id) for e in raised
    )
    async with svc.runtime.sessions() as s:
        rows = (
            await s.execute(select(case_regions).order_by(case_regions.c.case_id, case_regions.c.region_code))
        ).all()
    return warnings, [tuple(r) for r in rows]


async def test_a_batch_of_receipts_counts_hotspots_as_one_by_one_would(escalation, databases, topic_prefix, esc):
    """The batch's own sightings count before they are written; a case counted before (here received again under
    another event id) is not counted twice."""
    times = [AT + timedelta(minutes=10 * n) for n in range(6)]
    first = ("C-0", esc.received(times[0]), times[0])
    later = [("C-0", esc.received(times[0]), times[0])] + [
        (f"C-{n}", esc.received(times[n]), times[n]) for n in range(1, 6)
    ]
    async with escalation(await databases.new_url("hot-single"), ManualClock(END), hotspot_threshold=3) as single:
        for case_id, payload, at in [first, *later]:
            await esc.feed(single.runtime, case_id, payload, at)
        expected = await _hotspot_outcome(single, esc)
    assert any(region == esc.STREET and count == 3 for region, count, _, _ in expected[0])

    async with escalation(
        await databases.new_url("hot-batch"), ManualClock(END), hotspot_threshold=3, workers=True
    ) as svc:

        def record(offset: int, case_id: str, payload: Payload, at: datetime) -> tuple:
            env = new_event(payload, case_id=case_id, producer="intake", actor=Actor(role="system"), occurred_at=at)
            return (topic_prefix + topics.INTAKE, 0, offset, case_id.encode(), signed(env).to_bytes())

        await svc.runtime.consumer.process_batch([record(0, *first)])
        batch = [record(n + 1, *event) for n, event in enumerate(later)]
        await svc.runtime.consumer.process_batch(batch)
        assert await _hotspot_outcome(svc, esc) == expected

        await svc.runtime.consumer.process_batch(batch)  # delivered again: nothing counted or raised twice
        assert await _hotspot_outcome(svc, esc) == expected


async def test_a_batchs_hotspot_counts_read_once_match_each_window_counted_on_its_own(escalation, databases):
    """The stored counts a batch reads at its first hotspot check give every later check of the batch the count its
    own window holds: sightings its start has passed drop out, sightings its end has reached come in; a check the
    first read does not cover (later than its span, earlier, another pair) is counted on its own."""
    window = timedelta(days=7)
    at0 = END
    start = at0 - window

    def sighting(case_id: str, region: str, at: datetime, category: str = "noise") -> dict:
        return {"case_id": case_id, "region_code": region, "category": category, "received_at": at}

    offsets = [1, 30, 59, 61, 120, 3600]  # seconds after the window's start at the first check
    rows = [sighting(f"C-s{n}", "R1", start + timedelta(seconds=n)) for n in offsets]
    rows += [sighting(f"C-m{n}", "R1", start + timedelta(days=n)) for n in range(1, 6)]  # well inside
    rows += [sighting(f"C-e{n}", "R1", at0 + timedelta(seconds=n)) for n in (10, 50, 70)]  # after the first check
    rows += [sighting(f"C-r{n}", "R2", at0 - timedelta(seconds=n)) for n in (5, 500)]
    rows += [sighting("C-x", "R1", at0 - timedelta(seconds=5), category="other")]
    checks = [0, 5, 30, 59, 60, 61, -1, 200]  # seconds after the first check

    async with escalation(await databases.new_url("anchor"), ManualClock(END)) as svc:
        async with svc.runtime.sessions() as s, s.begin():
            await s.execute(case_regions.insert(), rows)

        async def counted(anchored: bool) -> tuple[list[dict[str, int]], int]:
            async with svc.runtime.sessions() as s, s.begin():
                statements: list[object] = []
                event.listen(s.sync_session, "do_orm_execute", statements.append)
                repo = Repository(s)
                if anchored:
                    repo.expect_sightings({("noise", "R1"), ("noise", "R2"), ("other", "R1")})
                found = []
                for n in checks:
                    until = at0 + timedelta(seconds=n)
                    found.append(await repo.sighting_counts("noise", ["R1", "R2"], until - window, until))
                found.append(await repo.sighting_counts("other", ["R1"], at0 - window, at0))
                found.append(await repo.sighting_counts("noise", ["R3"], at0 - window, at0))  # not expected
                return found, len(statements)

        (alone, each), (together, read) = await counted(anchored=False), await counted(anchored=True)
    assert together == alone
    assert alone[0] == {"R1": len(offsets) + 5, "R2": 2}
    assert alone[3]["R1"] == len(offsets) - 3 + 5 + 2  # 59 s on: three sightings left the window, two came in
    assert alone[-2] == {"R1": 1} and alone[-1] == {}
    assert each == len(checks) + 2 and read == 2 + 3 + 1  # a read a category; the earlier check, two past its span, R3


async def test_a_batchs_hotspot_read_follows_the_window_index_and_never_scans_the_history(escalation, databases):
    """The read a batch's first hotspot check makes looks each region up on the (category, region, time) index: a
    statement that scanned every sighting would grow with the days kept and put a whole city's day behind."""
    async with escalation(await databases.new_url("anchor-plan"), ManualClock(END)) as svc:
        if svc.runtime.engine.dialect.name != "sqlite":
            pytest.skip("the plan checked is SQLite's (PostgreSQL's planner chooses by its statistics)")
        statements: list[tuple[str, object]] = []

        def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            statements.append((statement, parameters))

        event.listen(svc.runtime.engine.sync_engine, "before_cursor_execute", seen)
        try:
            async with svc.runtime.sessions() as s, s.begin():
                repo = Repository(s)
                repo.expect_sightings({("noise", "R1"), ("noise", "R2")})
                await repo.sighting_counts("noise", ["R1", "R2"], END - timedelta(days=7), END)
                read, params = statements[-1]
                conn = await s.connection()
                plan = [row[-1] for row in await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + read, params)]
        finally:
            event.remove(svc.runtime.engine.sync_engine, "before_cursor_execute", seen)
    assert plan and not [step for step in plan if step.startswith("SCAN")], plan
    assert sum("USING COVERING INDEX ix_case_regions_window" in step for step in plan) == 3, plan
