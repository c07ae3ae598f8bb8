"""A report's own time is a fact within limits: far in the past, ahead of the clock or off the calendar is a 422."""

from __future__ import annotations

from sqlalchemy import func, select

from caseflow_common.auth import Role
from caseflow_common.testing import auth_header, running, service_settings
from intake.bootstrap import build
from intake.orm import cases
from intake.settings import Settings

HOTLINE = auth_header(Role.HOTLINE)
GRID = auth_header(Role.GRID)
# The test clock stands at 2026-11-20T09:30:00+08:00.
EDGES = [
    "9999-12-31T23:59:59+08:00",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+08:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-01:00",
]


def _fields(response) -> dict[str, str]:
    return {d["field"]: d["message"] for d in response.json()["error"]["details"]}


async def _count(svc) -> int:
    async with svc.runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(cases))).scalar_one()


async def test_a_backdated_or_future_report_time_is_refused_naming_the_field(intake, make_hotline, make_grid):
    weeks_back = await intake.client.post(
        "/v1/hotline/reports", json=make_hotline(received_at="2026-10-01T09:30:00+08:00"), headers=HOTLINE
    )
    assert weeks_back.status_code == 422, weeks_back.text
    assert "days in the past" in _fields(weeks_back)["received_at"]
    ahead = await intake.client.post(
        "/v1/grid/reports", json=make_grid(observed_at="2026-11-20T10:30:00+08:00"), headers=GRID
    )
    assert ahead.status_code == 422 and "in the future" in _fields(ahead)["observed_at"]
    # Other errors of the same body are named in the same answer.
    both = await intake.client.post(
        "/v1/hotline/reports",
        json=make_hotline(received_at="2026-11-21T09:30:00+08:00", category="no.such"),
        headers=HOTLINE,
    )
    assert set(_fields(both)) == {"received_at", "category"}
    assert await _count(intake) == 0


async def test_a_report_time_within_the_skew_or_days_back_is_kept_as_the_citizens_fact(
    intake, make_hotline, make_grid, intake_topic
):
    skewed = await intake.client.post(
        "/v1/grid/reports", json=make_grid(observed_at="2026-11-20T09:33:00+08:00"), headers=GRID
    )
    days_back = await intake.client.post(
        "/v1/hotline/reports", json=make_hotline(received_at="2026-11-01T08:00:00+08:00"), headers=HOTLINE
    )
    assert (skewed.status_code, days_back.status_code) == (201, 201), (skewed.text, days_back.text)
    events = await intake_topic.read_until(lambda es: sum(e.event_type == "CaseReceived" for e in es) >= 2)
    received = {e.case_id: e.payload["received_at"] for e in events if e.event_type == "CaseReceived"}
    assert received[days_back.json()["case_id"]] == "2026-11-01T00:00:00Z"
    assert received[skewed.json()["case_id"]] == "2026-11-20T01:33:00Z"


async def test_report_times_at_the_edge_of_the_datetime_range_are_a_422_never_a_500(intake, make_hotline, make_grid):
    for edge in EDGES:
        r = await intake.client.post("/v1/hotline/reports", json=make_hotline(received_at=edge), headers=HOTLINE)
        assert r.status_code == 422 and "received_at" in _fields(r), (edge, r.text)
        r = await intake.client.post("/v1/grid/reports", json=make_grid(observed_at=edge), headers=GRID)
        assert r.status_code == 422 and "observed_at" in _fields(r), (edge, r.text)
        assert r.json()["error"]["code"] == "invalid_request"
    assert await _count(intake) == 0


async def test_the_limits_on_report_times_are_settings(broker, topic_prefix, databases, clock, make_hotline):
    settings = service_settings(
        Settings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("intake-limits"),
        report_max_age_days=1,
        report_future_skew_s=0,
    )
    async with running(build, settings, clock=clock, workers=False) as svc:
        two_days = await svc.client.post(
            "/v1/hotline/reports", json=make_hotline(received_at="2026-11-18T09:30:00+08:00"), headers=HOTLINE
        )
        a_second_ahead = await svc.client.post(
            "/v1/hotline/reports", json=make_hotline(received_at="2026-11-20T09:30:01+08:00"), headers=HOTLINE
        )
        now = await svc.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE)
    assert "more than 1 day in the past" in _fields(two_days)["received_at"]
    assert "in the future" in _fields(a_second_ahead)["received_at"]
    assert now.status_code == 201
