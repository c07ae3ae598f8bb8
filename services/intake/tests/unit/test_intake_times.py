from datetime import UTC, datetime, timedelta, timezone

from intake.domain.bodies import has_lone_surrogate
from intake.domain.times import TimeLimits, in_utc, time_refusal

NOW = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
LIMITS = TimeLimits(max_age=timedelta(days=30), future_skew=timedelta(minutes=5))
BEIJING = timezone(timedelta(hours=8))


def test_a_time_within_the_age_limit_and_the_skew_is_accepted() -> None:
    assert time_refusal(NOW, NOW, LIMITS) is None
    assert time_refusal(NOW + timedelta(minutes=5), NOW, LIMITS) is None
    assert time_refusal(NOW - timedelta(days=30), NOW, LIMITS) is None
    assert time_refusal(datetime(2026, 11, 20, 9, 30, tzinfo=BEIJING), NOW, LIMITS) is None


def test_a_time_ahead_of_the_skew_or_past_the_age_limit_is_refused() -> None:
    ahead = time_refusal(NOW + timedelta(minutes=5, seconds=1), NOW, LIMITS)
    assert ahead is not None and "future" in ahead and "300 s" in ahead
    old = time_refusal(NOW - timedelta(days=30, seconds=1), NOW, LIMITS)
    assert old is not None and "30 days in the past" in old
    one_day = time_refusal(NOW - timedelta(days=2), NOW, TimeLimits(max_age=timedelta(days=1)))
    assert one_day is not None and "1 day in the past" in one_day


def test_times_with_no_utc_instant_behind_them_are_refused_not_raised() -> None:
    edge_late = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12)))
    edge_early = datetime(1, 1, 1, 0, 0, tzinfo=BEIJING)
    assert in_utc(edge_late) is None and in_utc(edge_early) is None
    for value in (edge_late, edge_early):
        refusal = time_refusal(value, NOW, LIMITS)
        assert refusal is not None and "representable" in refusal
    assert "future" in (time_refusal(datetime(9999, 12, 31, tzinfo=BEIJING), NOW, LIMITS) or "")
    assert "past" in (time_refusal(datetime(1, 1, 1, 12, tzinfo=UTC), NOW, LIMITS) or "")


def test_a_lone_surrogate_is_found_in_texts_lists_and_mappings() -> None:
    assert has_lone_surrogate("垃圾\ud800")
    assert has_lone_surrogate(["ok", "\udfff"])
    assert has_lone_surrogate({"\ud834": "key"})
    assert not has_lone_surrogate("垃圾 😀 堆放")  # a real astral character is fine
    assert not has_lone_surrogate(42)
