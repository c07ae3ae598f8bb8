"""Assessment figures (GZ Art. 47, 49; SZ Art. 55) and the monthly analysis (GZ Art. 19), as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from audit.api.deps import FigureReader, Runtime, Supervisor
from audit.api.errors import invalid_request
from audit.domain.chain import utc
from audit.domain.kpi import Figures, Rate
from audit.domain.monthly import CITY_TZ, Change, analysis_from_counts, month_range, previous_month
from caseflow_common.auth import UNIT_ROLES, Principal
from caseflow_common.contracts.escalation import Rung
from caseflow_common.errors import ApiError

router = APIRouter()
# The rungs escalation issues are always listed; `other` (rungs this build does not know) when any were counted.
LADDER: tuple[str, ...] = tuple(r.value for r in Rung.ladder())
CSV_RUNGS: tuple[str, ...] = tuple(r.value for r in Rung)  # a CSV keeps its columns: `other` always
RATES = ("on_time_sign_for", "on_time_closure", "resolution", "satisfaction")
From = Annotated[str, Query(alias="from", description="period start: date (city day) or ISO 8601 time, inclusive")]
To = Annotated[str, Query(alias="to", description="period end: date (city day) or ISO 8601 time, exclusive")]
Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]


def parse_instant(text: str, field: str) -> datetime:
    """An instant from a date (midnight in the city's zone) or an ISO time (naive: city zone); 422 otherwise, and
    for a time the calendar cannot hold in UTC (the first hours of year 1, the last of year 9999)."""
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            at = datetime(d.year, d.month, d.day, tzinfo=CITY_TZ)
        else:
            at = datetime.fromisoformat(text)
    except ValueError:
        raise invalid_request(field, f"{field} must be a date or an ISO 8601 time", "not a date or time") from None
    at = at if at.tzinfo else at.replace(tzinfo=CITY_TZ)
    try:
        utc(at)
    except OverflowError:
        raise invalid_request(
            field, f"{field} lies outside the range of times (years 1 to 9999 in UTC)", "out of range"
        ) from None
    return at


def _rate(r: Rate) -> dict[str, Any]:
    return {"rate": r.rate, "numerator": r.numerator, "denominator": r.denominator}


def figures_view(key_name: str, fig: Figures) -> dict[str, Any]:
    """The JSON shape of one unit's or district's figures."""
    return {
        key_name: fig.key,
        "received": fig.received,
        **{name: _rate(getattr(fig, name)) for name in RATES},
        "unreached_visits": fig.unreached_visits,
        "returns": fig.returns,
        "transfers": fig.transfers,
        "supervision_actions": _actions(fig),
    }


def _actions(fig: Figures) -> dict[str, int]:
    actions = {rung: fig.actions_by_rung.get(rung, 0) for rung in LADDER}
    other = fig.actions_by_rung.get(Rung.OTHER.value, 0)
    return {**actions, Rung.OTHER.value: other} if other else actions


def figures_csv(key_name: str, rows: list[Figures]) -> str:
    """One line per unit or district: counts, each rate with its numerator and denominator, actions by rung."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = [key_name, "received"]
    for name in RATES:
        header += [f"{name}_rate", f"{name}_numerator", f"{name}_denominator"]
    writer.writerow(header + ["unreached_visits", "returns", "transfers"] + [f"actions_{rung}" for rung in CSV_RUNGS])
    for fig in rows:
        line: list[Any] = [fig.key, fig.received]
        for name in RATES:
            rate: Rate = getattr(fig, name)
            line += ["" if rate.rate is None else f"{rate.rate:.4f}", rate.numerator, rate.denominator]
        counts = [fig.unreached_visits, fig.returns, fig.transfers]
        writer.writerow(line + counts + [fig.actions_by_rung.get(r, 0) for r in CSV_RUNGS])
    return out.getvalue()


def empty_figures(key: str) -> Figures:
    """The figures of a period without cases."""
    none = Rate(0, 0)
    return Figures(key, 0, none, none, none, none, returns=0, transfers=0, actions_by_rung={})


def own_unit(who: Principal) -> str | None:
    """The one unit a department or coordination institution may read the figures of (None: every unit)."""
    return who.unit if who.role in UNIT_ROLES else None


async def _assessment(
    runtime: Runtime, by: str, start_text: str, end_text: str, fmt: str, only: str | None = None
) -> Any:
    start, end = parse_instant(start_text, "from"), parse_instant(end_text, "to")
    if utc(end) <= utc(start):
        raise invalid_request("to", "to must be after from", "not after from")
    as_of = min(utc(end), utc(runtime.clock()))  # a clock not yet due by now is not yet missed
    async with runtime.uow() as uow:
        rows = await uow.figures.assess(by, utc(start), utc(end), as_of, only)
    if fmt == "csv":
        filename = f"assessment-{by}s-{start.date()}-{end.date()}.csv"
        return Response(
            figures_csv(by, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "as_of": as_of.isoformat(),
        "items": [figures_view(by, f) for f in rows],
    }


@router.get("/v1/assessment/units", tags=["assessment"], summary="Assessment figures per unit for a period")
async def assess_units(runtime: Runtime, who: FigureReader, start: From, end: To, format: Format = "json") -> Any:
    """Per unit, cases received in [from, to): received, on-time sign-for (响应率), on-time closure, resolution
    (解决率), satisfaction (满意率: every evaluation, one per cycle, so a dissatisfied one before a reopen still
    counts), unreached_visits (联系不上: return visits that did not reach the requester), returns, transfers,
    supervision actions by rung (GZ Art. 47, 49; SZ Art. 55). Supervisors and admins see every unit; a department
    or coordination institution sees its own unit only."""
    return await _assessment(runtime, "unit", start, end, format, own_unit(who))


Months = Annotated[int, Query(ge=1, le=36, description="how many months, the last one `until` (default 12)")]
Until = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="the last month, YYYY-MM in city time (default: this month)"),
]


@router.get(
    "/v1/assessment/units/{code}",
    tags=["assessment"],
    summary="One unit's assessment figures month by month",
    responses={403: {"description": "a department or coordination institution asking for another unit"}},
)
async def unit_history(runtime: Runtime, who: FigureReader, code: str, months: Months = 12, until: Until = None) -> Any:
    """The unit's figures (as in `/v1/assessment/units`) for each of the `months` months up to `until`, oldest
    first; a month without cases shows zeros. A department or coordination institution reads its own unit only
    (403 otherwise); supervisors and admins read any unit (GZ Art. 47, 49; SZ Art. 55)."""
    mine = own_unit(who)
    if mine is not None and code != mine:
        raise ApiError(403, "forbidden", f"unit {mine} may read its own assessment only, not that of {code}")
    now = utc(runtime.clock())
    last = until or now.astimezone(CITY_TZ).strftime("%Y-%m")
    try:  # the months before `until` may leave the calendar too (until=0000-01): 422, as for `until` itself
        names = [last]
        for _ in range(months - 1):
            names.append(previous_month(names[-1]))
        spans = [(name, *month_range(name)) for name in reversed(names)]
    except ValueError as exc:
        raise invalid_request("until", str(exc), "outside the calendar") from None
    history = []
    async with runtime.uow() as uow:
        for name, start, end in spans:
            as_of = min(end, now)
            rows = await uow.figures.assess("unit", start, end, as_of, code)
            fig = rows[0] if rows else empty_figures(code)
            view = figures_view("unit", fig)
            view.pop("unit")
            history.append(
                {"month": name, "from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat(), **view}
            )
    return {"unit": code, "months": history}


@router.get("/v1/assessment/districts", tags=["assessment"], summary="Assessment figures per district for a period")
async def assess_districts(runtime: Runtime, _: Supervisor, start: From, end: To, format: Format = "json") -> Any:
    """The same figures per district (the district of each case's region)."""
    return await _assessment(runtime, "district", start, end, format)


def _change(key: dict[str, Any], c: Change) -> dict[str, Any]:
    return {**key, "current": c.current, "previous": c.previous, "delta": c.delta, "percent": c.percent}


@router.get("/v1/analysis/monthly", tags=["assessment"], summary="Cases by category and area for a month")
async def monthly(
    runtime: Runtime,
    _: Supervisor,
    month: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM (city time)")],
    by: Annotated[
        Literal["district", "region"], Query(description="area: district (default) or region code")
    ] = "district",
) -> dict[str, Any]:
    """Cases received in the month by category, by area and by both, with the change from the month before (GZ Art. 19);
    a month whose span or month before falls outside the calendar (before 0001-03, after 9999-11) is refused (422)."""
    try:
        span, before = month_range(month), month_range(previous_month(month))
    except ValueError as exc:
        raise invalid_request("month", str(exc), "outside the calendar") from None
    async with runtime.uow() as uow:
        current = await uow.figures.counts(*span, by)
        previous = await uow.figures.counts(*before, by)
    a = analysis_from_counts(month, current, previous)
    return {
        "month": a.month,
        "previous_month": a.previous_month,
        "area": by,
        "total": _change({}, a.total),
        "by_category": [_change({"category": c.key}, c) for c in a.by_category],
        "by_area": [_change({"area": c.key}, c) for c in a.by_region],
        "by_category_area": [_change({"category": c.key[0], "area": c.key[1]}, c) for c in a.by_category_region],
    }
