"""Assessment figures and the monthly analysis on a hand-built scenario, on both databases."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest_asyncio

from audit.bootstrap import build
from audit.handlers import record
from audit.settings import Settings
from caseflow_common.auth import Role
from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts import escalation as e
from caseflow_common.contracts import intake as i
from caseflow_common.events import Actor, Payload, new_event
from caseflow_common.testing import ManualClock, auth_header, running, service_settings

CST = timezone(timedelta(hours=8))
SUPERVISOR = auth_header(Role.SUPERVISOR)
PERIOD = {"from": "2026-03-01", "to": "2026-04-01"}


def t(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CST)


def received(day: int, category: str, month: int = 3) -> Payload:
    return i.CaseReceived(
        channel="hotline",
        external_id=uuid.uuid4().hex,
        category=category,
        urgency="normal",
        description="x",
        region_code="r",
        received_at=t(day, month=month),
    )


def clocks(unit: str, sign: datetime | None, close: datetime | None) -> Payload:
    views = [
        e.ClockView(kind=k, deadline=dl, state="running", unit=unit)
        for k, dl in (("sign_for", sign), ("handling", close))
        if dl is not None
    ]
    return e.ClocksUpdated(clocks=views)


def sent(unit: str, district: str, at: datetime) -> Payload:
    return d.CaseDispatched(unit=unit, at=at, district_code=district, routing_version=3, rule_id="r-1")


# A (U1, D1): signed on time, closed on time, resolved, satisfied.
# B (U1, D1): signed late, close deadline passed unclosed; one 督办 for U1.
# C: U2 (D2) returned it; U3 (D2) signed and closed with no deadline, unresolved, dissatisfied.
# D (U1, D1): received in February, outside the period.
SCENARIO: dict[str, list[Payload]] = {
    "A": [
        received(2, "env.noise"),
        sent("U1", "D1", t(2)),
        clocks("U1", t(2, 12), t(10)),
        d.CaseAccepted(unit="U1", at=t(2, 10)),
        d.CaseReplied(unit="U1", at=t(9), content="ok", resolved=True),
        d.CaseClosed(unit="U1", at=t(9, 10), resolved=True),
        i.VisitRecorded(contacted=True, satisfaction="satisfied", visited_at=t(11), unit="U1"),
    ],
    "B": [
        received(5, "env.noise"),
        sent("U1", "D1", t(5)),
        clocks("U1", t(5, 12), t(12)),
        d.CaseAccepted(unit="U1", at=t(5, 14)),
        e.SupervisionActionIssued(action_id="act-B", rung="supervise", unit="U1", case_ids=[], policy_version=2),
    ],
    "C": [
        received(6, "road"),
        sent("U2", "D2", t(6)),
        d.CaseReturned(unit="U2", at=t(6, 11), reason="not ours"),
        sent("U3", "D2", t(6, 12)),
        d.CaseAccepted(unit="U3", at=t(6, 13)),
        d.CaseReplied(unit="U3", at=t(19), content="no", resolved=False),
        d.CaseClosed(unit="U3", at=t(20)),
        i.VisitRecorded(contacted=True, satisfaction="dissatisfied", visited_at=t(21), unit="U3"),
    ],
    "D": [received(20, "env.noise", month=2), sent("U1", "D1", t(20, month=2))],
}


@pytest_asyncio.fixture(scope="module")
async def audit(broker, databases):
    prefix = f"t{uuid.uuid4().hex[:10]}."
    settings = service_settings(Settings, broker=broker, prefix=prefix, database_url=await databases.new_url("audit"))
    async with running(build, settings, clock=ManualClock(), workers=False) as svc:
        for case, payloads in SCENARIO.items():
            for n, payload in enumerate(payloads):
                env = new_event(
                    payload,
                    case_id=f"{prefix}{case}",
                    producer="test",
                    actor=Actor(role="system"),
                    occurred_at=t(1, month=2) + timedelta(minutes=n),
                )
                async with svc.runtime.uow() as uow:
                    await record(env, uow, svc.runtime.context)
                    await uow.commit()
        yield svc


def rate(n: int, d: int) -> dict:
    return {"rate": None if d == 0 else n / d, "numerator": n, "denominator": d}


NO_ACTIONS = {"reminder": 0, "supervise": 0, "notify": 0, "interview": 0, "listed": 0}
U1 = {
    "unit": "U1",
    "received": 2,
    "on_time_sign_for": rate(1, 2),
    "on_time_closure": rate(1, 2),
    "resolution": rate(1, 1),
    "satisfaction": rate(1, 1),
    "unreached_visits": 0,
    "returns": 0,
    "transfers": 0,
    "supervision_actions": {**NO_ACTIONS, "supervise": 1},
}
U2 = {
    "unit": "U2",
    "received": 1,
    "on_time_sign_for": rate(0, 0),
    "on_time_closure": rate(0, 0),
    "resolution": rate(0, 0),
    "satisfaction": rate(0, 0),
    "unreached_visits": 0,
    "returns": 1,
    "transfers": 0,
    "supervision_actions": NO_ACTIONS,
}
U3 = {
    "unit": "U3",
    "received": 1,
    "on_time_sign_for": rate(1, 1),
    "on_time_closure": rate(1, 1),
    "resolution": rate(0, 1),
    "satisfaction": rate(0, 1),
    "unreached_visits": 0,
    "returns": 0,
    "transfers": 0,
    "supervision_actions": NO_ACTIONS,
}


async def test_unit_figures_equal_the_figures_computed_by_hand(audit):
    r = await audit.client.get("/v1/assessment/units", params=PERIOD, headers=SUPERVISOR)
    assert r.status_code == 200
    assert r.json()["items"] == [U1, U2, U3]


async def test_district_figures_pool_the_cases_of_each_district_once(audit):
    items = (await audit.client.get("/v1/assessment/districts", params=PERIOD, headers=SUPERVISOR)).json()["items"]
    d1 = {**U1, "district": "D1"}
    d1.pop("unit")
    d2 = {
        "district": "D2",
        "received": 1,
        "on_time_sign_for": rate(1, 1),
        "on_time_closure": rate(1, 1),
        "resolution": rate(0, 1),
        "satisfaction": rate(0, 1),
        "unreached_visits": 0,
        "returns": 1,
        "transfers": 0,
        "supervision_actions": NO_ACTIONS,
    }
    assert items == [d1, d2]


async def test_the_csv_export_carries_the_same_figures(audit):
    r = await audit.client.get("/v1/assessment/units", params={**PERIOD, "format": "csv"}, headers=SUPERVISOR)
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["unit"], x["received"], x["on_time_sign_for_rate"], x["actions_supervise"]) for x in rows] == [
        ("U1", "2", "0.5000", "1"),
        ("U2", "1", "", "0"),
        ("U3", "1", "1.0000", "0"),
    ]


async def test_a_period_that_ends_before_it_starts_is_refused(audit):
    r = await audit.client.get(
        "/v1/assessment/units", params={"from": "2026-04-01", "to": "2026-03-01"}, headers=SUPERVISOR
    )
    assert r.status_code == 422
    bad = await audit.client.get(
        "/v1/assessment/units", params={"from": "March", "to": "2026-03-01"}, headers=SUPERVISOR
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


async def test_the_monthly_analysis_counts_categories_and_areas_against_the_month_before(audit):
    r = (await audit.client.get("/v1/analysis/monthly", params={"month": "2026-03"}, headers=SUPERVISOR)).json()
    assert r["total"] == {"current": 3, "previous": 1, "delta": 2, "percent": 200.0}
    assert r["by_category"] == [
        {"category": "env.noise", "current": 2, "previous": 1, "delta": 1, "percent": 100.0},
        {"category": "road", "current": 1, "previous": 0, "delta": 1, "percent": None},
    ]
    assert [(a["area"], a["current"]) for a in r["by_area"]] == [("D1", 2), ("D2", 1)]


async def test_assessment_is_not_for_hotline_or_grid(audit):
    for role in (Role.HOTLINE, Role.GRID):
        r = await audit.client.get("/v1/assessment/units", params=PERIOD, headers=auth_header(role))
        assert r.status_code == 403
        assert (await audit.client.get("/v1/assessment/units/U1", headers=auth_header(role))).status_code == 403


async def test_a_department_or_coordination_institution_reads_its_own_units_figures_only(audit):
    for role in (Role.DEPARTMENT, Role.COORDINATION):
        r = await audit.client.get("/v1/assessment/units", params=PERIOD, headers=auth_header(role, "U1"))
        assert r.status_code == 200 and r.json()["items"] == [U1]
        listed = await audit.client.get(
            "/v1/assessment/units", params={**PERIOD, "format": "csv"}, headers=auth_header(role, "U3")
        )
        assert [x["unit"] for x in csv.DictReader(io.StringIO(listed.text))] == ["U3"]
    nothing = await audit.client.get("/v1/assessment/units", params=PERIOD, headers=auth_header(Role.DEPARTMENT, "U9"))
    assert nothing.status_code == 200 and nothing.json()["items"] == []
    admin = await audit.client.get("/v1/assessment/units", params=PERIOD, headers=auth_header(Role.ADMIN))
    assert admin.json()["items"] == [U1, U2, U3]


def _no_unit(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k != "unit"}


async def test_a_department_reads_its_own_units_figures_month_by_month(audit):
    r = await audit.client.get(
        "/v1/assessment/units/U1", params={"months": 3, "until": "2026-03"}, headers=auth_header(Role.DEPARTMENT, "U1")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"] == "U1" and [m["month"] for m in body["months"]] == ["2026-01", "2026-02", "2026-03"]
    january, february, march = body["months"]
    assert january["received"] == 0 and january["on_time_sign_for"] == rate(0, 0)
    assert february["received"] == 1  # case D
    assert february["from"] == "2026-01-31T16:00:00+00:00" and february["to"] == "2026-02-28T16:00:00+00:00"
    assert {k: march[k] for k in _no_unit(U1)} == _no_unit(U1)  # the same figures as the period's


async def test_another_units_history_is_refused_to_a_department_and_open_to_supervisors(audit):
    for role in (Role.DEPARTMENT, Role.COORDINATION):
        refused = await audit.client.get("/v1/assessment/units/U2", headers=auth_header(role, "U1"))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    for headers in (SUPERVISOR, auth_header(Role.ADMIN)):
        r = await audit.client.get("/v1/assessment/units/U2", params={"months": 1, "until": "2026-03"}, headers=headers)
        assert r.status_code == 200 and r.json()["months"][0]["returns"] == 1


async def test_a_history_asked_past_its_bounds_is_refused_with_the_reason(audit):
    for params in ({"months": 0}, {"months": 37}, {"until": "2026-13"}, {"months": 2, "until": "0001-01"}):
        r = await audit.client.get("/v1/assessment/units/U1", params=params, headers=SUPERVISOR)
        assert r.status_code == 422, params
