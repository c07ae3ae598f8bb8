"""Assessment figures (GZ Art. 47, 49; SZ Art. 55) and the monthly analysis (GZ Art. 19), checked by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from audit.domain.kpi import Figures, UnitCaseFacts, assess_districts, assess_units
from audit.domain.monthly import CaseCountRow, monthly_analysis, previous_month

CN = timezone(timedelta(hours=8))
MAY = datetime(2024, 5, 1, tzinfo=CN)
JUNE = datetime(2024, 6, 1, tzinfo=CN)


def at(day: int, hour: float, month: int = 5) -> datetime:
    return datetime(2024, month, day, tzinfo=CN) + timedelta(hours=hour)


def case(
    case_id: str,
    unit: str,
    district: str,
    day: int,
    *,
    signed: float | None,
    closed: float | None,
    replied: float | None = None,
    resolved: bool | None = None,
    satisfaction: str | None = None,
    returns: int = 0,
    transfers: int = 0,
    actions: dict[str, int] | None = None,
    month: int = 5,
) -> UnitCaseFacts:
    """A case received at 09:00 on `day`; sign-for due 2 h later, closure due 5 days later; times in hours after receipt."""
    received = at(day, 9, month)
    return UnitCaseFacts(
        case_id=case_id,
        unit=unit,
        district=district,
        received_at=received,
        dispatched_at=received + timedelta(minutes=5),
        signed_at=None if signed is None else received + timedelta(hours=signed),
        sign_deadline=received + timedelta(hours=2),
        replied_at=None if replied is None else received + timedelta(hours=replied),
        closed_at=None if closed is None else received + timedelta(hours=closed),
        close_deadline=received + timedelta(days=5),
        resolved=resolved,
        evaluations=() if satisfaction is None else (satisfaction,),
        returns=returns,
        transfers=transfers,
        actions_by_rung=actions or {},
    )


ROWS = [
    case("c1", "U1", "D1", 6, signed=1, replied=20, closed=24, resolved=True, satisfaction="satisfied"),
    case(
        "c2",
        "U1",
        "D1",
        7,
        signed=3,
        replied=130,
        closed=140,
        resolved=True,
        satisfaction="basically_satisfied",
        returns=1,
    ),
    case(
        "c3",
        "U1",
        "D2",
        8,
        signed=1,
        replied=40,
        closed=48,
        resolved=False,
        satisfaction="dissatisfied",
        transfers=1,
        actions={"supervise": 1},
    ),
    case("c4", "U1", "D2", 9, signed=None, closed=None, returns=2, actions={"reminder": 1, "supervise": 1}),
    case("c5", "U2", "D2", 30, signed=1, replied=10, closed=None),  # closure due 4 June: not yet due
    case("c6", "U2", "D2", 10, signed=0.5, replied=30, closed=30, resolved=True),  # visit could not reach anyone
    case("c7", "U2", "D2", 11, signed=5, replied=50, closed=60, resolved=True, satisfaction="satisfied", transfers=1),
    UnitCaseFacts(
        "c9", "U2", "D2", received_at=at(31, 23), sign_deadline=at(31, 23) + timedelta(hours=2)
    ),  # due 1 June
    case("c8", "U1", "D1", 28, signed=1, closed=10, resolved=True, satisfaction="dissatisfied", month=4),  # April
]


def by_key(figures: list[Figures]) -> dict[str, Figures]:
    return {f.key: f for f in figures}


def test_unit_figures_for_may_match_the_hand_count() -> None:
    units = by_key(assess_units(ROWS, MAY, JUNE))
    assert set(units) == {"U1", "U2"}  # c8 was received in April: outside the period

    u1 = units["U1"]  # c1 c2 c3 c4
    assert u1.received == 4
    # sign-for: c1 on time, c2 late, c3 on time, c4 due and unsigned -> 2 / 4
    assert (u1.on_time_sign_for.numerator, u1.on_time_sign_for.denominator, u1.on_time_sign_for.rate) == (2, 4, 0.5)
    # closure: c1 on time, c2 late (140 h > 120 h), c3 on time, c4 due and open -> 2 / 4
    assert u1.on_time_closure.rate == 0.5
    # resolution: replied or closed c1 c2 c3 -> resolved c1 c2 -> 2 / 3
    assert (u1.resolution.numerator, u1.resolution.denominator) == (2, 3)
    # satisfaction: evaluated c1 c2 c3 -> satisfied c1 + basically c2 -> 2 / 3
    assert u1.satisfaction.rate == pytest.approx(2 / 3)
    # returns 1 (c2) + 2 (c4) = 3; transfers 1 (c3); actions: supervise 1 + 1, reminder 1
    assert (u1.returns, u1.transfers, dict(u1.actions_by_rung)) == (3, 1, {"reminder": 1, "supervise": 2})

    u2 = units["U2"]  # c5 c6 c7 c9
    assert u2.received == 4
    # sign-for: c5 on time, c6 on time, c7 late, c9 not yet due (1 June 01:00) -> 2 / 3
    assert (u2.on_time_sign_for.numerator, u2.on_time_sign_for.denominator) == (2, 3)
    # closure: c6 on time, c7 on time; c5 and c9 not closed and not yet due -> 2 / 2
    assert (u2.on_time_closure.numerator, u2.on_time_closure.denominator) == (2, 2)
    # resolution: replied c5 (resolved unknown: not resolved), c6 yes, c7 yes -> 2 / 3
    assert (u2.resolution.numerator, u2.resolution.denominator) == (2, 3)
    # satisfaction: only c7 was evaluated, satisfied -> 1 / 1
    assert u2.satisfaction.rate == 1.0
    assert (u2.returns, u2.transfers, dict(u2.actions_by_rung)) == (0, 1, {})


def test_district_figures_pool_the_units_working_there() -> None:
    districts = by_key(assess_districts(ROWS, MAY, JUNE))
    d1 = districts["D1"]  # c1 c2
    assert d1.received == 2
    assert (d1.on_time_sign_for.rate, d1.on_time_closure.rate, d1.resolution.rate, d1.satisfaction.rate) == (
        0.5,
        0.5,
        1.0,
        1.0,
    )
    d2 = districts["D2"]  # c3 c4 (U1) + c5 c6 c7 c9 (U2)
    assert d2.received == 6
    # sign-for: c3 1/1, c4 0/1, U2 2/3 -> 3 / 5; closure: c3 1/1, c4 0/1, U2 2/2 -> 3 / 4
    assert (d2.on_time_sign_for.numerator, d2.on_time_sign_for.denominator) == (3, 5)
    assert (d2.on_time_closure.numerator, d2.on_time_closure.denominator) == (3, 4)
    # resolution: c3 0/1 + U2 2/3 -> 2 / 4; satisfaction: c3 dissatisfied, c7 satisfied -> 1 / 2
    assert (d2.resolution.rate, d2.satisfaction.rate) == (0.5, 0.5)
    assert (d2.returns, d2.transfers, dict(d2.actions_by_rung)) == (2, 2, {"reminder": 1, "supervise": 2})


def test_judging_clocks_earlier_leaves_not_yet_due_cases_out() -> None:
    # As of 9 May 10:00, c4 (received 9 May 09:00, sign-for due 11:00) is not due yet: U1 sign-for 2 / 3.
    u1 = by_key(assess_units(ROWS, MAY, JUNE, as_of=at(9, 10)))["U1"]
    assert (u1.on_time_sign_for.numerator, u1.on_time_sign_for.denominator) == (2, 3)


def test_nothing_due_gives_no_rate_rather_than_a_division_error() -> None:
    fresh = UnitCaseFacts("n1", "U3", "D3", received_at=at(31, 23), sign_deadline=at(31, 23) + timedelta(hours=2))
    u3 = assess_units([fresh], MAY, JUNE)[0]
    assert u3.received == 1
    assert u3.on_time_sign_for.rate is None
    assert u3.on_time_closure.rate is None
    assert u3.resolution.rate is None
    assert u3.satisfaction.rate is None
    assert assess_units([], MAY, JUNE) == []


def test_monthly_analysis_counts_by_category_and_region_against_the_month_before() -> None:
    rows = [
        CaseCountRow("noise", "440106", at(2, 10)),
        CaseCountRow("noise", "440106", at(15, 10)),
        CaseCountRow("noise", "440103", at(20, 10)),
        CaseCountRow("rental", "440106", at(31, 23.5)),  # 31 May 23:30 in Guangzhou is 15:30 UTC: May
        CaseCountRow("noise", "440106", at(10, 10, month=4)),
        CaseCountRow("noise", "440106", at(30, 23.9, month=4)),
        CaseCountRow("noise", "440106", datetime(2024, 4, 30, 17, 0)),  # naive UTC = 1 May 01:00 in Guangzhou
        CaseCountRow("road", "440103", at(3, 9, month=3)),  # two months back: ignored
    ]
    analysis = monthly_analysis(rows, "2024-05")
    assert analysis.previous_month == "2024-04"
    # May: noise x4 (2, 15, 20 May and the naive 1 May), rental x1 -> 5; April: noise x2
    assert (analysis.total.current, analysis.total.previous, analysis.total.delta) == (5, 2, 3)
    assert analysis.total.percent == 150.0  # +3 on 2
    cats = {c.key: c for c in analysis.by_category}
    assert (cats["noise"].current, cats["noise"].previous, cats["noise"].percent) == (4, 2, 100.0)
    assert (cats["rental"].current, cats["rental"].previous, cats["rental"].percent) == (1, 0, None)
    regions = {c.key: c for c in analysis.by_region}
    assert (regions["440106"].current, regions["440103"].current) == (4, 1)
    pairs = {c.key: c for c in analysis.by_category_region}
    assert pairs[("noise", "440106")].delta == 1  # 3 against 2


def test_the_month_before_january_is_last_december() -> None:
    assert previous_month("2025-01") == "2024-12"
    with pytest.raises(ValueError):
        monthly_analysis([], "2025-13")


def test_every_evaluation_of_a_row_counts_and_unreached_visits_add_up() -> None:
    rows = [
        # reopened after a dissatisfied evaluation, satisfied the second time; one unreached attempt before that
        UnitCaseFacts("r1", "U9", "D9", at(6, 9), evaluations=("dissatisfied", "satisfied"), unreached_visits=1),
        UnitCaseFacts("r2", "U9", "D9", at(7, 9), evaluations=("basically_satisfied",), unreached_visits=2),
    ]
    (fig,) = assess_units(rows, MAY, JUNE)
    # By hand: evaluations dissatisfied, satisfied, basically satisfied -> 2 satisfied of 3; unreached 1 + 2.
    assert (fig.satisfaction.numerator, fig.satisfaction.denominator, fig.unreached_visits) == (2, 3, 3)
