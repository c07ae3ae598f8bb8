"""Every evaluation is kept and counted, visits that did not reach the requester are counted apart (联系不上), and a
repeat request (并单) closes its own loop: events published on the real broker, figures read back, both databases."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from caseflow_common.contracts.dispatch import CaseAccepted, CaseClosed, CaseDispatched, CaseReplied
from caseflow_common.contracts.intake import CaseMerged, CaseReopened, VisitRecorded
from caseflow_common.events import Envelope, Payload

CST = timezone(timedelta(hours=8))
OCTOBER = {"from": "2026-10-01", "to": "2026-11-01"}
BOTH = ["回访", "评价"]


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=CST)


def handled(unit: str, day: int, cycle: int = 1, district: str = "440106") -> list[Payload]:
    """One cycle of a unit's handling: dispatched, signed for, replied, closed (resolved)."""
    return [
        CaseDispatched(unit=unit, at=at(day), district_code=district, cycle=cycle),
        CaseAccepted(unit=unit, at=at(day, 10), cycle=cycle),
        CaseReplied(unit=unit, at=at(day + 1), content="已处理", resolved=True, cycle=cycle),
        CaseClosed(unit=unit, at=at(day + 1, 10), resolved=True, cycle=cycle),
    ]


def visit(day: int, satisfaction: str | None, *, cycle: int = 1, contacted: bool = True, unit: str | None = None):
    return VisitRecorded(contacted=contacted, satisfaction=satisfaction, visited_at=at(day), cycle=cycle, unit=unit)


TICKS = itertools.count()  # events happen in the order the tests publish them


class Case:
    """One case's events, each caused by the one before, published as their producers would."""

    def __init__(self, audit: Any, day: int, case_id: str | None = None) -> None:
        self.audit, self.id, self.day = audit, case_id or audit.new_case(), day
        self.last: Envelope | None = None
        self.count = 0

    async def add(self, *payloads: Payload) -> list[dict[str, Any]]:
        """Publish the events and wait until the record holds them."""
        for payload in payloads:
            actor = self.audit.hotline if payload.event_type in ("VisitRecorded", "CaseReopened") else None
            occurred = at(1) + timedelta(minutes=next(TICKS))
            env = self.audit.event(payload, self.id, occurred, self.last, actor)
            await self.audit.publish(env)
            self.last, self.count = env, self.count + 1
        return await self.audit.entries_of(self.id, self.count)

    async def loop(self) -> dict[str, Any]:
        return (await self.audit.record(self.id))["loop"]


async def unit_figures(audit: Any, unit: str) -> dict[str, Any]:
    items = (await audit.get("/v1/assessment/units", **OCTOBER)).json()["items"]
    return next(i for i in items if i["unit"] == unit)


def fresh_unit() -> str:
    return f"U-{uuid.uuid4().hex[:6]}"


async def test_a_dissatisfied_then_satisfied_case_counts_both_evaluations_against_the_unit(audit):
    unit = fresh_unit()
    reopened = Case(audit, 5)
    await reopened.add(audit.received(at(5), reopened.id), *handled(unit, 5), visit(8, "dissatisfied", unit=unit))
    await reopened.add(CaseReopened(reason="dissatisfied", cycle=2, unit=unit), *handled(unit, 9, cycle=2))
    await reopened.add(visit(12, "satisfied", cycle=2, unit=unit))
    assert await reopened.loop() == {"complete": True, "missing": [], "overdue": False, "cycle": 2}
    # By hand: evaluations of the unit's handling: cycle 1 dissatisfied, cycle 2 satisfied -> 1 satisfied of 2.
    figures = await unit_figures(audit, unit)
    assert figures["satisfaction"] == {"rate": 0.5, "numerator": 1, "denominator": 2}
    assert (figures["received"], figures["resolution"]["denominator"], figures["unreached_visits"]) == (1, 1, 0)


async def test_a_second_cycle_recorded_before_the_reopen_that_began_it_completes_the_loop(audit):
    # The reopen comes on intake's topic and the next handling on dispatch's: audit may record the handling first.
    unit = fresh_unit()
    case = Case(audit, 5)
    await case.add(audit.received(at(5), case.id), *handled(unit, 5), visit(8, "dissatisfied", unit=unit))
    await case.add(*handled(unit, 9, cycle=2), CaseReopened(reason="dissatisfied", cycle=2, unit=unit))
    loop = await case.loop()
    assert (loop["complete"], loop["missing"], loop["cycle"]) == (False, BOTH, 2)  # handled, waiting for its visit
    await case.add(visit(12, "satisfied", cycle=2, unit=unit))
    assert await case.loop() == {"complete": True, "missing": [], "overdue": False, "cycle": 2}


async def test_unreached_visits_are_counted_apart_and_leave_the_loop_open_until_a_visit_reaches_the_requester(audit):
    unit = fresh_unit()
    satisfied = Case(audit, 6)
    await satisfied.add(audit.received(at(6), satisfied.id), *handled(unit, 6), visit(9, "satisfied", unit=unit))
    unreached = Case(audit, 7)
    await unreached.add(audit.received(at(7), unreached.id), *handled(unit, 7))
    await unreached.add(visit(10, None, contacted=False, unit=unit), visit(11, None, contacted=False))
    loop = await unreached.loop()
    assert (loop["complete"], loop["missing"]) == (False, BOTH)
    listed = (await audit.get("/v1/loops/open", step="回访", page_size=200)).json()["items"]
    assert unreached.id in {i["case_id"] for i in listed}
    await unreached.add(visit(12, "dissatisfied", unit=unit))
    assert (await unreached.loop())["complete"] is True
    # By hand: evaluations: the first case's satisfied, the second's dissatisfied (its two unreached attempts
    # evaluate nothing) -> 1 of 2; unreached attempts: 2, the second one naming no unit (it counts for the unit
    # that answered).
    figures = await unit_figures(audit, unit)
    assert figures["satisfaction"] == {"rate": 0.5, "numerator": 1, "denominator": 2}
    assert figures["unreached_visits"] == 2
    r = await audit.get("/v1/assessment/units", **OCTOBER, format="csv")
    row = next(x for x in csv.DictReader(io.StringIO(r.text)) if x["unit"] == unit)
    assert (row["satisfaction_numerator"], row["satisfaction_denominator"], row["unreached_visits"]) == ("1", "2", "2")


async def test_a_repeated_evaluation_of_the_same_cycle_replaces_it_instead_of_counting_twice(audit):
    unit = fresh_unit()
    case = Case(audit, 8)
    await case.add(audit.received(at(8), case.id), *handled(unit, 8), visit(11, "dissatisfied", unit=unit))
    await case.add(visit(11, "satisfied", unit=unit))
    assert (await unit_figures(audit, unit))["satisfaction"] == {"rate": 1.0, "numerator": 1, "denominator": 1}


async def merged(audit: Any, main: Case, day: int, dispatched_to: tuple[str, str] | None = None) -> Case:
    """A repeat request joining `main` (intake's CaseReceived with repeat_of, then CaseMerged), dispatched on its own
    first when `dispatched_to` (unit, district) is given, as dispatch routes every new case."""
    follower = Case(audit, day)
    routed = [] if dispatched_to is None else [handled(dispatched_to[0], day, district=dispatched_to[1])[0]]
    await follower.add(
        audit.received(at(day), follower.id, repeat_of=main.id),
        *routed,
        CaseMerged(into_case_id=main.id, category="env.noise", region_code="440106001", received_at=at(day)),
    )
    return follower


async def test_three_requesters_of_one_case_each_close_their_own_loop_and_each_evaluation_counts(audit):
    unit, district = fresh_unit(), f"D-{uuid.uuid4().hex[:6]}"
    main = Case(audit, 13)
    handling = handled(unit, 13, district=district)
    await main.add(audit.received(at(13), main.id), *handling[:2])
    first = await merged(audit, main, 13, dispatched_to=(unit, district))
    second = await merged(audit, main, 14, dispatched_to=(unit, district))
    for follower in (first, second):  # the main case has not answered yet
        loop = await follower.loop()
        assert (loop["complete"], loop["missing"]) == (False, ["答复", "办结", "回访", "评价"])
    await main.add(*handling[2:], visit(16, "satisfied", unit=unit))
    # The main case's reply and close are passed on to each requester; each still needs their own visit.
    for follower in (first, second):
        assert (await follower.loop())["missing"] == BOTH
    await first.add(visit(17, "satisfied"))  # the hotline need not name the unit: the main case's answered it
    await second.add(visit(17, "dissatisfied", unit=unit))
    for case in (main, first, second):
        assert (await case.loop())["complete"] is True, case.id
    # By hand: three requests routed to the unit, one answered by it (the main case's answer passed on to the
    # others), three evaluations: satisfied, satisfied, dissatisfied -> 2 of 3.
    figures = await unit_figures(audit, unit)
    assert figures["satisfaction"] == {"rate": 2 / 3, "numerator": 2, "denominator": 3}
    assert (figures["received"], figures["resolution"]) == (3, {"rate": 1.0, "numerator": 1, "denominator": 1})
    districts = (await audit.get("/v1/assessment/districts", **OCTOBER)).json()["items"]
    assert next(d for d in districts if d["district"] == district)["satisfaction"]["denominator"] == 3


async def test_a_followers_finished_loop_stays_complete_when_its_main_case_is_reopened(audit):
    # A request merged before any unit had it (never dispatched itself): its evaluation rates the main case's unit.
    unit = fresh_unit()
    main = Case(audit, 20)
    handling = handled(unit, 20)
    await main.add(audit.received(at(20), main.id), *handling[:2])
    follower = await merged(audit, main, 20)
    await main.add(*handling[2:])
    await follower.add(visit(23, "satisfied"))
    assert (await follower.loop())["complete"] is True
    await main.add(visit(23, "dissatisfied", unit=unit), CaseReopened(reason="dissatisfied", cycle=2, unit=unit))
    assert (await main.loop())["missing"][0] == "办理"
    assert (await follower.loop())["complete"] is True
    # By hand: one case handled, its requester dissatisfied, the merged request's satisfied -> 1 of 2.
    figures = await unit_figures(audit, unit)
    assert (figures["received"], figures["satisfaction"]) == (1, {"rate": 0.5, "numerator": 1, "denominator": 2})


async def test_a_follower_its_requester_reopened_waits_for_its_own_handling_and_counts_both_evaluations(audit):
    unit, district = fresh_unit(), f"D-{uuid.uuid4().hex[:6]}"
    main = Case(audit, 24)
    handling = handled(unit, 24, district=district)
    await main.add(audit.received(at(24), main.id), *handling[:2])
    follower = await merged(audit, main, 24, dispatched_to=(unit, district))
    await main.add(*handling[2:], visit(26, "satisfied", unit=unit))
    await follower.add(visit(26, "dissatisfied", unit=unit), CaseReopened(reason="dissatisfied", cycle=2, unit=unit))
    # Reopened, the follower is handled and answered as its own case: the main case no longer stands in (its own
    # 受理 and 派单 carry over, as for any reopened case).
    assert (await follower.loop())["missing"] == ["办理", "答复", "办结", "回访", "评价"]
    await follower.add(*handled(unit, 27, cycle=2, district=district), visit(29, "satisfied", cycle=2, unit=unit))
    assert await follower.loop() == {"complete": True, "missing": [], "overdue": False, "cycle": 2}
    # By hand: main satisfied; the follower dissatisfied (cycle 1), then satisfied (cycle 2) -> 2 of 3.
    assert (await unit_figures(audit, unit))["satisfaction"] == {"rate": 2 / 3, "numerator": 2, "denominator": 3}
