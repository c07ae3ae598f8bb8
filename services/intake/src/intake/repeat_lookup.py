"""SQL of the repeat-request lookup (重复诉求 / 并单): the open cases of a report's category at its place.

Each shape of place is its own arm on its own index: the grid on (category, grid_code, received_at), the box around
the point on (category, lat, lon) (migration 0007); a report with both reads the two arms as one UNION. One arm with
``grid OR box`` led a planner without statistics (SQLite's) onto (category, received_at), which reads every case of
the category to find the few at the place: a cost that grew with the day. The exact distance check is the domain's
(``intake.domain.repeats``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Row, Select, and_, bindparam, literal_column, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from intake.domain.status import NOT_OPEN
from intake.orm import case_status, cases

# Roughly 111 km per degree of latitude: a generous box to pre-filter candidates before the exact distance check.
_METRES_PER_DEGREE = 111_000.0
_LIMIT = 50  # per shape of place: the earliest open cases there
# The statuses are the fixed vocabulary, so they are part of the statement's text rather than bound per execution.
_OPEN = case_status.c.status.not_in([literal_column(f"'{s}'") for s in sorted(NOT_OPEN)])
_BY_GRID = cases.c.grid_code == bindparam("grid_code")
_IN_BOX = and_(
    cases.c.lat.between(bindparam("lat_min"), bindparam("lat_max")),
    cases.c.lon.between(bindparam("lon_min"), bindparam("lon_max")),
)


def _arm(place: ColumnElement[bool]) -> Select[Any]:
    return (
        select(
            cases.c.case_id,
            cases.c.category,
            cases.c.received_at,
            cases.c.grid_code,
            cases.c.lat,
            cases.c.lon,
            case_status.c.status,
        )
        .join(case_status, case_status.c.case_id == cases.c.case_id)
        .where(cases.c.category == bindparam("category"), cases.c.case_id != bindparam("exclude"), _OPEN, place)
        .order_by(cases.c.received_at)
        .limit(_LIMIT)
    )


def _both() -> CompoundSelect[Any]:
    # A case in the grid and in the box comes from both arms: UNION keeps it once; earliest first, as one arm reads.
    both = union(_arm(_BY_GRID).subquery().select(), _arm(_IN_BOX).subquery().select())
    return both.order_by(both.selected_columns.received_at, both.selected_columns.case_id)


_STATEMENTS: dict[tuple[bool, bool], Select[Any] | CompoundSelect[Any]] = {
    (True, False): _arm(_BY_GRID),
    (False, True): _arm(_IN_BOX),
    (True, True): _both(),
}


def statement(*, by_grid: bool, by_box: bool) -> Select[Any] | CompoundSelect[Any]:
    """The lookup's statement for a report with a grid, a point, or both (built once per shape)."""
    return _STATEMENTS[(by_grid, by_box)]


async def candidates(
    session: AsyncSession,
    *,
    category: str,
    grid_code: str | None,
    lat: float | None,
    lon: float | None,
    max_distance_m: float,
    exclude: str,
) -> Sequence[Row]:
    """Open cases of the category in the same grid or within a box around the point, earliest first."""
    by_box = lat is not None and lon is not None
    if grid_code is None and not by_box:
        return []
    params: dict[str, Any] = {"category": category, "exclude": exclude}
    if grid_code is not None:
        params["grid_code"] = grid_code
    if lat is not None and lon is not None:
        d = max_distance_m / _METRES_PER_DEGREE
        # Longitude degrees shrink towards the poles; doubling the box covers every inhabited latitude of China.
        params.update(lat_min=lat - d, lat_max=lat + d, lon_min=lon - 2 * d, lon_max=lon + 2 * d)
    stmt = statement(by_grid=grid_code is not None, by_box=by_box)
    return (await session.execute(stmt, params)).all()
