from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.domain.calendar import SHANGHAI, CalendarYear, WorkCalendar, WorkingWindow

CAL = WorkCalendar()


def sh(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def local(t: datetime) -> datetime:
    return t.astimezone(SHANGHAI)


def test_the_2026_spring_festival_is_off_as_the_package_says():
    festival = [date(2026, 2, d) for d in range(15, 24)]
    assert [chinese_calendar.is_workday(d) for d in festival] == [False] * 9
    assert not any(CAL.is_working_day(d) for d in festival)
    assert CAL.is_working_day(date(2026, 2, 24))


def test_2026_make_up_weekends_are_working_days():
    for day in (date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)):
        assert day.weekday() >= 5
        assert CAL.is_working_day(day)


def test_a_report_on_the_eve_of_spring_festival_counts_the_make_up_saturday_then_skips_the_holiday():
    deadline, provisional = CAL.add_working_days(sh(2026, 2, 13), 1)
    assert local(deadline) == sh(2026, 2, 14, 18)
    assert not provisional
    assert local(CAL.add_working_days(sh(2026, 2, 13), 2).at) == sh(2026, 2, 24, 18)


def test_a_report_received_during_a_holiday_counts_from_the_next_working_day():
    assert local(CAL.add_working_days(sh(2026, 2, 16), 1).at) == sh(2026, 2, 24, 18)
    assert local(CAL.add_working_days(sh(2026, 2, 16), 0).at) == sh(2026, 2, 24, 18)


def test_national_day_is_skipped_and_its_make_up_saturday_counts():
    received = sh(2026, 9, 30, 16)
    assert local(CAL.add_working_days(received, 1).at) == sh(2026, 10, 8, 18)
    assert local(CAL.add_working_days(received, 3).at) == sh(2026, 10, 10, 18)
    assert local(CAL.add_working_days(received, 4).at) == sh(2026, 10, 12, 18)


def test_grid_report_ten_working_days_from_a_normal_monday():
    # GZ Art. 16: ten working days; the receipt day is not counted.
    assert local(CAL.add_working_days(sh(2026, 3, 2), 10).at) == sh(2026, 3, 16, 18)


def test_a_deadline_in_an_unpublished_year_is_provisional_and_weekends_only():
    assert not CAL.is_known_year(2027)
    deadline, provisional = CAL.add_working_days(sh(2026, 12, 28), 10)
    assert provisional
    # weekends only: 1 January 2027 (a Friday) is guessed to be a working day
    assert local(deadline) == sh(2027, 1, 11, 18)


def test_publishing_2027_makes_the_deadline_exact():
    published = CAL.with_year(CalendarYear(2027, holidays=frozenset({date(2027, 1, 1)})))
    assert published.is_known_year(2027)
    deadline, provisional = published.add_working_days(sh(2026, 12, 28), 10)
    assert not provisional
    assert local(deadline) == sh(2027, 1, 12, 18)


def test_a_published_year_can_declare_a_make_up_weekend():
    cal = WorkCalendar.from_data(years=[CalendarYear(2027, workdays=frozenset({date(2027, 1, 9)}))])
    assert cal.is_working_day(date(2027, 1, 9))
    assert not cal.day_status(date(2027, 1, 9)).provisional


def test_overrides_beat_the_package():
    cal = WorkCalendar.from_data(overrides={date(2026, 3, 3): "holiday", date(2026, 3, 7): "workday"})
    assert not cal.is_working_day(date(2026, 3, 3))
    assert cal.is_working_day(date(2026, 3, 7))
    assert local(cal.add_working_days(sh(2026, 3, 2), 1).at) == sh(2026, 3, 4, 18)


def test_a_calendar_year_rejects_dates_of_another_year():
    with pytest.raises(ValueError):
        CalendarYear(2027, holidays=frozenset({date(2026, 1, 1)}))


def test_working_hours_skip_lunch_and_nights_and_weekends():
    assert local(CAL.add_working_hours(sh(2026, 3, 2, 11), 2).at) == sh(2026, 3, 2, 15)
    assert local(CAL.add_working_hours(sh(2026, 3, 6, 17), 2).at) == sh(2026, 3, 9, 10)
    assert local(CAL.add_working_hours(sh(2026, 3, 7, 23), 1).at) == sh(2026, 3, 9, 10)


def test_working_windows_are_configurable():
    cal = WorkCalendar(windows=(WorkingWindow(time(8, 30), time(17, 30)),))
    assert local(cal.add_working_hours(sh(2026, 3, 2, 17), 1).at) == sh(2026, 3, 3, 9)
    assert local(cal.add_working_days(sh(2026, 3, 2), 1).at) == sh(2026, 3, 3, 17, 30)


def test_natural_time_ignores_the_calendar():
    assert CAL.add_natural(sh(2026, 2, 16, 10), timedelta(hours=24)) == (sh(2026, 2, 17, 10), False)


def test_working_time_between_counts_only_working_windows():
    assert CAL.working_time_between(sh(2026, 3, 6, 17), sh(2026, 3, 9, 10)) == timedelta(hours=2)
    assert CAL.working_time_between(sh(2026, 3, 9, 10), sh(2026, 3, 6, 17)) == timedelta(hours=-2)


def test_next_working_moment_moves_out_of_holidays_and_lunch():
    assert local(CAL.next_working_moment(sh(2026, 2, 15, 10))) == sh(2026, 2, 24, 9)
    assert local(CAL.next_working_moment(sh(2026, 3, 2, 12, 30))) == sh(2026, 3, 2, 14)
    assert local(CAL.next_working_moment(sh(2026, 3, 2, 10))) == sh(2026, 3, 2, 10)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        CAL.add_working_days(datetime(2026, 3, 2, 10), 1)


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 30), timezones=st.just(UTC))


@settings(max_examples=150, deadline=None)
@given(start=moments, n=st.integers(min_value=0, max_value=15))
def test_a_working_day_deadline_never_lands_on_a_non_working_moment(start, n):
    deadline, provisional = CAL.add_working_days(start, n)
    assert not provisional
    assert CAL.is_working_moment(deadline)
    assert local(deadline).time() == time(18, 0)
    assert deadline >= start


@settings(max_examples=150, deadline=None)
@given(
    a=moments,
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    n=st.integers(min_value=0, max_value=15),
    hours=st.floats(min_value=0, max_value=80),
)
def test_deadlines_are_monotone_in_start_time(a, gap, n, hours):
    b = a + gap
    assert CAL.add_working_days(a, n).at <= CAL.add_working_days(b, n).at
    assert CAL.add_working_hours(a, hours).at <= CAL.add_working_hours(b, hours).at


@settings(max_examples=150, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=60 * 70))
def test_adding_working_time_then_measuring_it_gives_it_back(start, minutes):
    d = timedelta(minutes=minutes)
    end = CAL.add_working_time(start, d).at
    assert CAL.working_time_between(start, end) == d
    if d:
        assert CAL.is_working_moment(end)


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    days=st.integers(min_value=0, max_value=30),
    hours=st.floats(min_value=0, max_value=200, allow_nan=False),
)
def test_a_calendar_answers_from_its_memo_what_it_computes_afresh(start, days, hours):
    """The memo of day arithmetic (a clock's deadline, allowed time and warning moment, asked again every refresh):
    asked twice, a calendar answers what a calendar that never answered before computes."""
    cal, fresh = WorkCalendar(), WorkCalendar()
    later = start + timedelta(hours=hours)
    for _ in range(2):
        assert cal.add_working_days(start, days) == fresh._add_working_days(start, days)
        assert cal.add_working_hours(start, hours) == fresh._add_working_time(start, timedelta(hours=hours))
        assert cal.working_time_between(start, later) == fresh._working_time_between(start, later)
        assert cal.working_time_between(later, start) == -fresh._working_time_between(start, later)


def test_the_memo_is_bounded_and_never_keeps_a_refusal(monkeypatch):
    monkeypatch.setattr("escalation.domain.calendar.MEMO_LIMIT", 10)
    cal = WorkCalendar()
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)
    for n in range(50):
        cal.add_working_days(start + timedelta(hours=n), 3)
        assert len(cal._sums) <= 10
    for _ in range(2):
        with pytest.raises(ValueError):
            cal.add_working_days(start, -1)
