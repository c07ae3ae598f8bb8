"""Assessment figures and monthly counts in SQL (GROUP BY with FILTER): what each figure means is domain/kpi.py.

The pure `assess_units` / `assess_districts` are the specification; these queries compute the same figures
where the rows live, so a year of a city's cases is one scan of case_facts by received_at. A property test
(tests/integration/test_audit_figures_match_the_rules.py) feeds generated case histories through the
recorder and holds these figures equal to the specification's.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.domain.kpi import Figures, Rate
from audit.orm import RUNGS, action_column, cases, facts

f = facts.c
# Supervision actions, evaluations (one per cycle) and unreached visits are counted onto each row as they arrive
# (facts_repository.note_action / note_evaluation): no join here.


def _on_time(done: Any, deadline: Any, as_of: datetime) -> tuple[Any, Any]:
    # numerator: done by the deadline (or with none); denominator: done, or due by as_of and not done.
    numerator = func.count().filter(and_(done.isnot(None), or_(deadline.is_(None), done <= deadline)))
    denominator = func.count().filter(or_(done.isnot(None), and_(deadline.isnot(None), deadline <= as_of)))
    return numerator, denominator


def _figures_query(key: Any, start: datetime, end: datetime, as_of: datetime, only: str | None = None) -> Any:
    sign_n, sign_d = _on_time(f.signed_at, f.sign_deadline, as_of)
    close_n, close_d = _on_time(f.closed_at, f.close_deadline, as_of)
    answered = or_(f.replied_at.isnot(None), f.closed_at.isnot(None))
    return (
        select(
            key.label("key"),
            func.count().label("received"),
            sign_n.label("sign_n"),
            sign_d.label("sign_d"),
            close_n.label("close_n"),
            close_d.label("close_d"),
            func.count().filter(and_(answered, f.resolved.is_(True))).label("res_n"),
            func.count().filter(answered).label("res_d"),
            func.coalesce(func.sum(f.evaluations_satisfied), 0).label("sat_n"),
            func.coalesce(func.sum(f.evaluations), 0).label("sat_d"),
            func.coalesce(func.sum(f.unreached_visits), 0).label("unreached"),
            func.coalesce(func.sum(f.returns), 0).label("returns"),
            func.coalesce(func.sum(f.transfers), 0).label("transfers"),
            *(func.coalesce(func.sum(f[action_column(rung)]), 0).label(action_column(rung)) for rung in RUNGS),
        )
        .where(f.received_at >= start, f.received_at < end, key.isnot(None) if only is None else key == only)
        .group_by(key)
        .order_by(key)
    )


class FiguresRepository:
    """Read-only queries behind /v1/assessment and /v1/analysis."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def assess(
        self, by: str, start: datetime, end: datetime, as_of: datetime, only: str | None = None
    ) -> list[Figures]:
        """Figures per `unit` or `district` for cases received in [start, end), clocks judged at `as_of`; only the
        unit or district `only` when given."""
        key = f.unit if by == "unit" else f.district
        rows = (await self.session.execute(_figures_query(key, start, end, as_of, only))).all()
        received = {r.key: r.received for r in rows}
        if by != "unit":
            # A case handled by two units of a district is received once: count cases, one row each, in the
            # case index (the same district value the facts rows copy) instead of de-duplicating the facts.
            c = cases.c
            received = dict(
                (
                    await self.session.execute(
                        select(c.district, func.count())
                        .where(c.received_at >= start, c.received_at < end, c.district.isnot(None))
                        .group_by(c.district)
                    )
                ).all()
            )
        return [
            Figures(
                key=r.key,
                received=received.get(r.key, 0),
                on_time_sign_for=Rate(r.sign_n, r.sign_d),
                on_time_closure=Rate(r.close_n, r.close_d),
                resolution=Rate(r.res_n, r.res_d),
                satisfaction=Rate(int(r.sat_n), int(r.sat_d)),
                returns=int(r.returns),
                transfers=int(r.transfers),
                actions_by_rung={
                    rung.value: n for rung in sorted(RUNGS) if (n := int(getattr(r, action_column(rung))))
                },
                unreached_visits=int(r.unreached),
            )
            for r in rows
        ]

    async def counts(self, start: datetime, end: datetime, by: str) -> Counter[tuple[str, str]]:
        """Cases received in [start, end) per (category, area); area is the district or the region code."""
        area = func.coalesce(cases.c.district if by == "district" else cases.c.region_code, "unknown")
        category = func.coalesce(cases.c.category, "unknown")
        rows = await self.session.execute(
            select(category.label("category"), area.label("area"), func.count().label("n"))
            .where(cases.c.received_at >= start, cases.c.received_at < end)
            .group_by(category, area)
        )
        return Counter({(r.category, r.area): r.n for r in rows})
