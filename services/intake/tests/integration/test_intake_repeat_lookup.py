"""The repeat-request lookup (重复诉求) reads the cases at the report's place, not every case of its category: its cost
stays flat over a city's day instead of growing with it (SQLite plans without statistics, so the shape of the
statement decides), and it still finds every open case in the grid or the box, each once, earliest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

import intake
from caseflow_common import db
from intake import repeat_lookup
from intake.orm import case_status, cases

MIGRATIONS = Path(intake.__file__).parent / "migrations"
CATEGORY = "urban.garbage"
GRID = "440103001001-01"
LAT, LON = 23.121, 113.238
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
CROWD = 6_000  # cases of the same category elsewhere in the city: what a scan of the category would read


def _case(
    case_id: str, at: datetime, *, grid: str | None, lat: float | None, lon: float | None, category: str = CATEGORY
):
    return dict(
        case_id=case_id,
        channel="hotline",
        external_id=case_id,
        fingerprint="f" * 64,
        kind="complaint",
        category=category,
        urgency="normal",
        description="d",
        region_code="440103001001",
        grid_code=grid,
        address="",
        lat=lat,
        lon=lon,
        withheld=False,
        whistleblower=False,
        received_at=at,
        created_at=at,
    )


def _status(case_id: str, status: str = "dispatched") -> dict[str, Any]:
    return dict(case_id=case_id, status=status, cycle=1, clocks="[]", updated_at=T0)


async def _filled(url: str):  # type: ignore[no-untyped-def]
    engine = db.make_engine(url)
    await db.migrate(engine, MIGRATIONS)
    rows = [
        _case(f"CROWD-{i:05d}", T0 + timedelta(seconds=i), grid=f"G-{i % 900}", lat=22.5 + (i % 997) / 2000, lon=114.0)
        for i in range(CROWD)
    ]
    at_place = [
        _case("GRID-ONLY", T0 + timedelta(minutes=5), grid=GRID, lat=None, lon=None),
        _case("BOX-ONLY", T0 + timedelta(minutes=6), grid="440103001001-02", lat=LAT + 0.0003, lon=LON),
        _case("BOTH", T0 + timedelta(minutes=7), grid=GRID, lat=LAT, lon=LON + 0.0003),
        _case("CLOSED", T0 + timedelta(minutes=1), grid=GRID, lat=LAT, lon=LON),
        _case("OTHER-CATEGORY", T0 + timedelta(minutes=2), grid=GRID, lat=LAT, lon=LON, category="traffic.order"),
    ]
    async with engine.begin() as conn:
        await conn.execute(insert(cases), rows + at_place)
        statuses = [_status(r["case_id"]) for r in rows + at_place if r["case_id"] != "CLOSED"]
        await conn.execute(insert(case_status), [*statuses, _status("CLOSED", "closed")])
    return engine


async def _lookup(engine, **place: Any) -> list[str]:  # type: ignore[no-untyped-def]
    async with db.session_factory(engine)() as session:
        rows = await repeat_lookup.candidates(session, category=CATEGORY, max_distance_m=100.0, exclude="NEW", **place)
    return [r.case_id for r in rows]


async def _plan(engine, by_grid: bool, by_box: bool) -> str:  # type: ignore[no-untyped-def]
    params = {"category": CATEGORY, "exclude": "NEW", "grid_code": GRID}
    params.update(lat_min=LAT - 0.001, lat_max=LAT + 0.001, lon_min=LON - 0.002, lon_max=LON + 0.002)
    stmt = repeat_lookup.statement(by_grid=by_grid, by_box=by_box).params(params)
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":  # the planner's statistics, as autovacuum keeps them in service
            await conn.execute(text("ANALYZE cases"))
            await conn.execute(text("ANALYZE case_status"))
        return "\n".join(await db.explain(conn, stmt))


async def test_the_lookup_finds_each_open_case_of_the_category_in_the_grid_or_the_box_once(databases):
    engine = await _filled(await databases.new_url("repeats"))
    try:
        assert await _lookup(engine, grid_code=GRID, lat=LAT, lon=LON) == ["GRID-ONLY", "BOX-ONLY", "BOTH"]
        assert await _lookup(engine, grid_code=GRID, lat=None, lon=None) == ["GRID-ONLY", "BOTH"]
        assert await _lookup(engine, grid_code=None, lat=LAT, lon=LON) == ["BOX-ONLY", "BOTH"]
        assert await _lookup(engine, grid_code=None, lat=None, lon=None) == []
    finally:
        await engine.dispose()


async def test_the_lookup_searches_the_places_indexes_not_the_whole_category(databases):
    engine = await _filled(await databases.new_url("repeat_plan"))
    try:
        for by_grid, by_box in ((True, False), (False, True), (True, True)):
            plan = await _plan(engine, by_grid, by_box)
            assert "ix_cases_category_received" not in plan, plan
            if engine.dialect.name == "sqlite":
                assert ("ix_cases_category_grid_received" in plan) == by_grid, plan
                assert ("ix_cases_category_lat_lon" in plan) == by_box, plan
                assert "SCAN cases" not in plan, plan
            else:
                assert "Seq Scan on cases" not in plan, plan
    finally:
        await engine.dispose()
