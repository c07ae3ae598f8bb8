"""The SQL assessment figures equal the specification (domain/kpi.py) on generated case histories.

Each history is fed event by event through the real recorder into a real database (SQLite and PostgreSQL); the
same history gives, by the rules the events carry, each case's facts per unit, and the pure `assess_units` /
`assess_districts` over those facts must equal what the service's queries compute from its tables.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.bootstrap import build
from audit.domain.kpi import UnitCaseFacts, assess_districts, assess_units
from audit.handlers import record
from audit.settings import Settings
from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts import escalation as e
from caseflow_common.contracts import intake as i
from caseflow_common.contracts.escalation import Rung
from caseflow_common.events import Actor, Envelope, Payload, new_event
from caseflow_common.testing import ManualClock, running, service_settings

PERIOD = timedelta(days=30)
# Each example lives in its own stretch of time, far from the others, so the figures of one never see another's rows.
EXAMPLES = itertools.count()
FIRST = datetime(2001, 1, 1, tzinfo=UTC)
NEWER_RUNG = "public_criticism"  # a rung a newer escalation sends: counted as other
KNOWN_RUNGS = frozenset(r.value for r in Rung)

# Times on a coarse grid, so a deadline met to the hour, or falling due exactly at `as_of`, comes up often.
hours = st.integers(0, 8)
maybe_hours = st.none() | hours
# The period runs from day 0 (inclusive) to day 30 (exclusive): cases come on and around its edges.
days = st.sampled_from([-1, 0, 1, 29, 30]).map(lambda n: 24 * n)
judged = st.sampled_from([0, 1, 30]).map(lambda n: 24 * n)  # clocks judged at as_of: early, or at the end


@dataclass(frozen=True)
class Visit:
    """A return visit of one cycle: reached the requester or not (联系不上), with or without an evaluation."""

    cycle: int
    contacted: bool
    satisfaction: i.Satisfaction | None


@dataclass(frozen=True)
class Handling:
    """One unit's part in a case; times are hours after receipt."""

    unit: str
    dispatched: int
    clocks: tuple[tuple[int | None, int | None], ...]  # (sign-for, closure) deadlines per ClocksUpdated
    accepted: int | None
    returns: int
    transfers: int
    reply: tuple[int, bool] | None
    close: tuple[int, bool | None] | None
    actions: tuple[tuple[str, bool, bool], ...]  # (rung as sent, redelivered, case named in case_ids)
    visits: tuple[Visit, ...]  # visits that name the unit


@dataclass(frozen=True)
class History:
    """One case: received some hours from the period's start, in one district, handled by some units."""

    received: int
    district: str
    handlings: tuple[Handling, ...]
    case_visits: tuple[Visit, ...]  # visits that name no unit: they concern the units that answered


# Cycles 1 and 2 (a reopened case is evaluated again); an unreached visit may even carry a satisfaction (ignored).
visits = st.lists(
    st.builds(
        Visit,
        cycle=st.integers(1, 2),
        contacted=st.booleans(),
        satisfaction=st.none() | st.sampled_from(i.Satisfaction),
    ),
    max_size=3,
).map(tuple)


def handling(unit: str) -> st.SearchStrategy[Handling]:
    return st.builds(
        Handling,
        unit=st.just(unit),
        dispatched=st.integers(0, 3),
        clocks=st.lists(st.tuples(maybe_hours, maybe_hours), max_size=2).map(tuple),
        accepted=maybe_hours,
        returns=st.integers(0, 2),
        transfers=st.integers(0, 1),
        reply=st.none() | st.tuples(hours, st.booleans()),
        close=st.none() | st.tuples(hours, st.none() | st.booleans()),
        actions=st.lists(
            st.tuples(st.sampled_from([*(r.value for r in Rung.ladder()), NEWER_RUNG]), st.booleans(), st.booleans()),
            max_size=2,
        ).map(tuple),
        visits=visits,
    )


@st.composite
def history(draw: st.DrawFn) -> History:
    units = draw(st.lists(st.sampled_from(["U1", "U2", "U3"]), max_size=2, unique=True))
    return History(
        received=draw(days),
        district=draw(st.sampled_from(["D1", "D2"])),
        handlings=tuple(draw(handling(u)) for u in units),
        case_visits=draw(visits),
    )


def events(case_id: str, h: History, start: datetime) -> list[Envelope]:
    """The case's events in the order its producers would send them."""
    received = start + timedelta(hours=h.received)

    def at(n: int) -> datetime:
        return received + timedelta(hours=n)

    def env(payload: Payload, when: datetime) -> Envelope:
        return new_event(payload, case_id=case_id, producer="test", actor=Actor(role="system"), occurred_at=when)

    out = [
        env(
            i.CaseReceived(
                channel="hotline",
                external_id=case_id,
                category="c",
                urgency="normal",
                description="x",
                region_code="r",
                received_at=received,
            ),
            received,
        )
    ]
    for u in h.handlings:
        unit = u.unit
        out.append(env(d.CaseDispatched(unit=unit, at=at(u.dispatched), district_code=h.district), at(u.dispatched)))
        for sign, close in u.clocks:
            views = [
                e.ClockView(kind=kind, deadline=None if n is None else at(n), state="running", unit=unit)
                for kind, n in (("sign_for", sign), ("handling", close))
            ]
            out.append(env(e.ClocksUpdated(clocks=views), received))
        if u.accepted is not None:
            out.append(env(d.CaseAccepted(unit=unit, at=at(u.accepted)), at(u.accepted)))
        out += [env(d.CaseReturned(unit=unit, at=received, reason="not ours"), received) for _ in range(u.returns)]
        out += [
            env(d.CaseTransferred(unit=unit, at=received, to_unit="X", reason="theirs"), received)
            for _ in range(u.transfers)
        ]
        if u.reply is not None:
            out.append(env(d.CaseReplied(unit=unit, at=at(u.reply[0]), content="ok", resolved=u.reply[1]), received))
        if u.close is not None:
            out.append(env(d.CaseClosed(unit=unit, at=at(u.close[0]), resolved=u.close[1]), received))
        for n, (rung, redelivered, named) in enumerate(u.actions):
            issued = env(
                e.SupervisionActionIssued(
                    action_id=f"{case_id}-{unit}-{n}", rung="notify", unit=unit, case_ids=[case_id] if named else []
                ),
                received,
            )
            # As it comes off the wire: the payload read from what was sent, not from the model it was built with.
            sent = Envelope.model_validate({**issued.model_dump(), "payload": {**issued.payload, "rung": rung}})
            again = Envelope.model_validate({**sent.model_dump(), "event_id": uuid.uuid4()})
            out += [sent, again] if redelivered else [sent]
        out += [env(visit_event(v, at(1), unit), at(1)) for v in u.visits]
    out += [env(visit_event(v, at(2), None), at(2)) for v in h.case_visits]
    return out


def visit_event(v: Visit, when: datetime, unit: str | None) -> i.VisitRecorded:
    return i.VisitRecorded(
        contacted=v.contacted, satisfaction=v.satisfaction, visited_at=when, cycle=v.cycle, unit=unit
    )


def evaluations_of(visits: list[Visit]) -> tuple[tuple[str, ...], int]:
    """(the evaluation kept for each cycle: the last one of a visit that reached the requester; unreached visits)."""
    kept: dict[int, str] = {}
    for v in visits:
        if v.contacted and v.satisfaction is not None:
            kept[v.cycle] = v.satisfaction.value
    return tuple(kept[c] for c in sorted(kept)), sum(not v.contacted for v in visits)


def expected_facts(case_id: str, h: History, start: datetime) -> list[UnitCaseFacts]:
    """The facts of each (case, unit) as the rules read the history: the input of the specification."""
    received = start + timedelta(hours=h.received)

    def at(n: int | None) -> datetime | None:
        return None if n is None else received + timedelta(hours=n)

    answered = [u.unit for u in h.handlings if u.reply is not None or u.close is not None]
    rated = answered or [u.unit for u in h.handlings]
    rows = []
    for u in h.handlings:
        resolved = u.reply[1] if u.reply is not None else None
        if u.close is not None and u.close[1] is not None:
            resolved = u.close[1]
        # In the order they arrive: the unit's own visits, then those that name no unit (if they concern it).
        evaluations, unreached = evaluations_of([*u.visits, *(h.case_visits if u.unit in rated else ())])
        actions: dict[str, int] = {}
        for rung, _, _ in u.actions:
            counted = rung if rung in KNOWN_RUNGS else Rung.OTHER.value
            actions[counted] = actions.get(counted, 0) + 1
        rows.append(
            UnitCaseFacts(
                case_id=case_id,
                unit=u.unit,
                district=h.district,
                received_at=received,
                dispatched_at=at(u.dispatched),
                signed_at=at(u.accepted),
                sign_deadline=at(next((s for s, _ in reversed(u.clocks) if s is not None), None)),
                replied_at=at(None if u.reply is None else u.reply[0]),
                closed_at=at(None if u.close is None else u.close[0]),
                close_deadline=at(next((c for _, c in reversed(u.clocks) if c is not None), None)),
                resolved=resolved,
                evaluations=evaluations,
                unreached_visits=unreached,
                returns=u.returns,
                transfers=u.transfers,
                actions_by_rung=actions,
            )
        )
    return rows


@pytest_asyncio.fixture(scope="module")
async def audit(broker, databases):
    prefix = f"t{uuid.uuid4().hex[:10]}."
    settings_ = service_settings(Settings, broker=broker, prefix=prefix, database_url=await databases.new_url("audit"))
    async with running(build, settings_, clock=ManualClock(), workers=False) as svc:
        yield svc


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(histories=st.lists(history(), min_size=1, max_size=5), as_of_hours=st.tuples(judged, hours).map(sum))
async def test_the_sql_figures_equal_the_rules_on_any_history(audit, histories, as_of_hours):
    start = FIRST + next(EXAMPLES) * timedelta(days=1000)
    end, as_of = start + PERIOD, start + timedelta(hours=as_of_hours)
    facts: list[UnitCaseFacts] = []
    for h in histories:
        case_id = f"C-{uuid.uuid4().hex[:12]}"
        async with audit.runtime.uow() as uow:
            for env in events(case_id, h, start):
                await record(env, uow, audit.runtime.context)
            await uow.commit()
        facts += expected_facts(case_id, h, start)
    async with audit.runtime.uow() as uow:
        by_unit = await uow.figures.assess("unit", start, end, as_of)
        by_district = await uow.figures.assess("district", start, end, as_of)
    assert by_unit == assess_units(facts, start, end, as_of)
    assert by_district == assess_districts(facts, start, end, as_of)
