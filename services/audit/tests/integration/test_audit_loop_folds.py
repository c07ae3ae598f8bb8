"""Each case's loop row keeps its loop folded over the record (0004), and the next status continues that fold with
the entries appended since: the rows say exactly what folding each whole record again says, without reading the
record back; a row without a fold, with one kept under another loop policy, or one behind the record is folded
from the whole record (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import text

from audit.domain.loop import LoopEvent, LoopStatus, loop_status
from audit.handlers import record
from caseflow_common.contracts.dispatch import CaseAccepted, CaseClosed, CaseDispatched, CaseReplied
from caseflow_common.contracts.intake import CaseMerged, CaseReopened, VisitRecorded
from caseflow_common.events import Envelope
from caseflow_common.testing import Statement, statements


async def apply(audit: Any, *envs: Envelope) -> None:
    """Record the events as the consumer applies one batch."""
    async with audit.svc.runtime.uow() as uow:
        await uow.prepare(list(envs))
        for env in envs:
            await record(env, uow, audit.svc.runtime.context)
        await uow.commit()


async def rows(audit: Any, statement: str, **params: Any) -> list[Any]:
    async with audit.svc.runtime.engine.connect() as conn:
        return list(await conn.execute(text(statement), params))


async def from_scratch(audit: Any, case_id: str, main: LoopStatus | None = None) -> LoopStatus:
    """The case's loop folded over its whole record as stored."""
    entries = await rows(
        audit, "SELECT event_type, at, payload FROM record_entries WHERE case_id = :c ORDER BY seq", c=case_id
    )
    events = [LoopEvent(r.event_type, datetime.fromisoformat(r.at), orjson.loads(r.payload)) for r in entries]
    return loop_status(events, audit.clock(), audit.svc.runtime.context.rules.loop_policy, main=main)


async def loop_row(audit: Any, case_id: str) -> Any:
    [row] = await rows(
        audit,
        "SELECT l.complete, l.missing, l.cycle, l.closed_at, l.fold, l.fold_seq, h.last_seq FROM case_loops l "
        "JOIN record_heads h ON h.case_id = l.case_id WHERE l.case_id = :c",
        c=case_id,
    )
    return row


def same_instant(stored: Any, expected: Any) -> bool:
    if stored is None or expected is None:
        return stored is expected
    if isinstance(stored, str):
        stored = datetime.fromisoformat(stored)
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=UTC)
    return bool(stored == expected)


async def says(audit: Any, case_id: str, expected: LoopStatus) -> None:
    row = await loop_row(audit, case_id)
    assert (row.complete, row.missing, row.cycle) == (
        expected.complete,
        ",".join(str(s) for s in expected.missing),
        expected.cycle,
    )
    assert same_instant(row.closed_at, expected.closed_at)
    assert row.fold is not None and row.fold_seq == row.last_seq  # kept as of the record's last entry


def record_reads(seen: list[Statement]) -> list[str]:
    """The statements that read entries' payloads back (the whole-record fold)."""
    return [
        st.sql for st in seen if "record_entries.payload" in st.sql and st.sql.lstrip().upper().startswith("SELECT")
    ]


async def test_every_loop_row_continues_its_fold_and_says_what_the_whole_record_says(audit):
    """A main case handled, reopened and handled again, two requests merged into it (one reopened on its own), an
    unreached visit and the visits that reached: after every batch, every row equals the whole record folded anew,
    and no batch read a record back."""
    main_id, first_id, second_id = audit.new_case(), audit.new_case(), audit.new_case()
    t = audit.clock() - timedelta(days=5)
    unit = audit.unit

    def ev(payload: Any, case_id: str, hours: float, **kw: Any) -> Envelope:
        return audit.event(payload, case_id, t + timedelta(hours=hours), **kw)

    def merge(case_id: str, hours: float) -> list[Envelope]:
        return [
            ev(audit.received(t + timedelta(hours=hours), case_id, repeat_of=main_id), case_id, hours),
            ev(
                CaseMerged(
                    into_case_id=main_id,
                    category="env.noise",
                    region_code="440106001",
                    received_at=t + timedelta(hours=hours),
                ),
                case_id,
                hours,
            ),
        ]

    batches: list[list[Envelope]] = [
        [ev(audit.received(t, main_id), main_id, 0)],
        [ev(CaseDispatched(unit=unit, at=t, district_code="440106"), main_id, 0.1)],
        merge(first_id, 1),
        [ev(CaseAccepted(unit=unit, at=t + timedelta(hours=2)), main_id, 2)],
        [ev(CaseReplied(unit=unit, at=t, content="已处理", resolved=True), main_id, 3)],
        merge(second_id, 4),
        [ev(CaseClosed(unit=unit, at=t + timedelta(hours=5), resolved=True), main_id, 5)],
        [ev(VisitRecorded(contacted=False, visited_at=t), first_id, 6, actor=audit.hotline)],
        [
            ev(VisitRecorded(contacted=True, satisfaction="satisfied", visited_at=t), first_id, 7, actor=audit.hotline),
            ev(
                VisitRecorded(contacted=True, satisfaction="dissatisfied", visited_at=t),
                main_id,
                7,
                actor=audit.hotline,
            ),
        ],
        # A later cycle's handling recorded before the reopen that began it, then the reopen.
        [ev(CaseDispatched(unit=unit, at=t, district_code="440106", cycle=2), main_id, 8)],
        [ev(CaseReopened(reason="复查未解决", cycle=2, unit=unit), main_id, 8.5)],
        [ev(CaseReopened(reason="未解决", cycle=2, unit=unit), second_id, 9)],
        [
            ev(CaseAccepted(unit=unit, at=t, cycle=2), main_id, 10),
            ev(CaseReplied(unit=unit, at=t, content="已整改", resolved=True, cycle=2), main_id, 11),
            ev(CaseClosed(unit=unit, at=t + timedelta(hours=12), resolved=True, cycle=2), main_id, 12),
        ],
        [
            ev(
                VisitRecorded(contacted=True, satisfaction="satisfied", visited_at=t, cycle=2),
                main_id,
                13,
                actor=audit.hotline,
            )
        ],
    ]
    with statements(audit.svc.runtime.engine) as seen:
        for batch in batches:
            await apply(audit, *batch)
            main = await from_scratch(audit, main_id)
            await says(audit, main_id, main)
            for follower in (first_id, second_id):
                if await rows(audit, "SELECT 1 FROM case_loops WHERE case_id = :c", c=follower):
                    await says(audit, follower, await from_scratch(audit, follower, main=main))
    assert record_reads(seen) == []  # every status came from a kept fold and the batch's own entries
    # The scenario reached what it is about: the first request's loop closed through its main case and its own
    # visit, the main case in its second cycle, complete.
    first, whole = await loop_row(audit, first_id), await loop_row(audit, main_id)
    assert first.complete and (whole.complete, whole.cycle) == (True, 2)


async def test_a_row_without_a_fold_under_another_policy_or_behind_the_record_is_folded_from_the_whole_record(audit):
    t = audit.clock() - timedelta(days=5)
    cases = [audit.new_case() for _ in range(4)]
    loops = {case_id: audit.whole_loop(case_id, t) for case_id in cases}
    for chain in loops.values():
        await apply(audit, *chain[:3])
    kept_early = (await loop_row(audit, cases[3])).fold
    for chain in loops.values():
        await apply(audit, *chain[3:-1])
    none, other_policy, behind, kept = cases
    await audit.sql("UPDATE case_loops SET fold = NULL, fold_seq = NULL WHERE case_id = :c", c=none)  # before 0004
    await audit.sql(
        "UPDATE case_loops SET fold = :f WHERE case_id = :c",
        c=other_policy,
        f=orjson.dumps({"key": "another-policy", "fold": {}}).decode(),
    )
    # A fold as of the third entry beside a record of five (written by another writer, say): behind it.
    await audit.sql("UPDATE case_loops SET fold = :f, fold_seq = 3 WHERE case_id = :c", c=behind, f=kept_early)
    await audit.sql("UPDATE case_loops SET complete = :no WHERE case_id = :c", c=behind, no=False)

    with statements(audit.svc.runtime.engine) as seen:
        await apply(audit, *(loops[c][-1] for c in cases))
    assert (
        len(record_reads(seen)) == 1
    )  # the three without a usable fold, read in one statement; the kept one not at all
    for case_id in cases:
        status = await from_scratch(audit, case_id)
        assert status.complete
        await says(audit, case_id, status)
