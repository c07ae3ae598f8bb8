"""Inputs at the edges of what the databases and the calendar can hold are refused with 422 and the error envelope,
never a 500: pages past SQLite's integer range, periods and months at the ends of the datetime range."""

from __future__ import annotations

import pytest

PAST_SQLITE = str(2**63)  # one past the largest integer SQLite (and PostgreSQL's bigint) can hold
EDGE_PAGES = [PAST_SQLITE, str(2**63 // 50 + 1), "99999999999999999999999"]


def refused(r, field: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()["error"]
    assert body["code"] == "invalid_request" and any(field in d["field"] for d in body["details"]), body


@pytest.mark.parametrize("page", EDGE_PAGES)
async def test_a_page_of_open_loops_past_the_databases_integer_range_is_refused(audit, page):
    refused(await audit.get("/v1/loops/open", page=page), "page")


@pytest.mark.parametrize("page", EDGE_PAGES)
async def test_a_page_of_anchors_past_the_databases_integer_range_is_refused(audit, page):
    refused(await audit.get("/v1/anchors", page=page), "page")


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01", "2026-01-01", "from"),  # midnight in the city is still year 0 in UTC
        ("0001-01-01T00:00:00+14:00", "2026-01-01", "from"),
        ("2026-01-01", "9999-12-31T23:59:59-12:00", "to"),  # year 10000 in UTC
        ("2026-01-01", "9999-12-31T23:59:59.999999-00:01", "to"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/assessment/units", "/v1/assessment/districts"])
async def test_an_assessment_period_past_the_ends_of_the_datetime_range_is_refused(audit, path, start, end, field):
    refused(await audit.get(path, **{"from": start, "to": end}), field)
    refused(await audit.get(path, **{"from": start, "to": end, "format": "csv"}), field)


async def test_the_widest_period_the_calendar_holds_is_answered(audit):
    r = await audit.get("/v1/assessment/units", **{"from": "0001-01-02", "to": "9999-12-31"})
    assert r.status_code == 200 and r.json()["from"].startswith("0001-01-02")


@pytest.mark.parametrize("month", ["0000-01", "0000-12", "0001-01", "0001-02", "9999-12"])
async def test_a_month_whose_span_or_month_before_lies_outside_the_calendar_is_refused(audit, month):
    refused(await audit.get("/v1/analysis/monthly", month=month), "month")


@pytest.mark.parametrize("month", ["0001-03", "9999-11"])
async def test_the_first_and_last_months_the_calendar_holds_are_answered(audit, month):
    r = await audit.get("/v1/analysis/monthly", month=month)
    assert r.status_code == 200 and r.json()["total"]["current"] == 0


@pytest.mark.parametrize(
    ("until", "months"), [("0000-01", "12"), ("0001-01", "2"), ("0001-03", "36"), ("9999-12", "1")]
)
async def test_a_units_history_reaching_past_the_calendar_is_refused(audit, until, months):
    refused(await audit.get(f"/v1/assessment/units/{audit.unit}", until=until, months=months), "until")


async def test_a_units_history_back_to_the_first_months_the_calendar_holds_is_answered(audit):
    r = await audit.get(f"/v1/assessment/units/{audit.unit}", until="0001-04", months="2")
    assert r.status_code == 200 and [m["month"] for m in r.json()["months"]] == ["0001-03", "0001-04"]
