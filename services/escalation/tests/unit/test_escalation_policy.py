from datetime import UTC, datetime

import pytest

from caseflow_common.contracts.escalation import Rung
from escalation.domain.calendar import TimeUnit, WorkCalendar
from escalation.domain.calendar_data import MAX_PERIOD
from escalation.domain.ladder import LadderPolicy, RectificationSpec, uncountable_periods
from escalation.domain.policy import ClockKind, ClockSpec, PolicySet, SlaPolicy, default_policy_set

WD = TimeUnit.WORKING_DAYS


def _policy(pid: str, channel: str = "hotline", category=None, urgency=None, days: int = 10) -> SlaPolicy:
    return SlaPolicy(pid, channel, {ClockKind.HANDLING: ClockSpec(days, WD)}, category=category, urgency=urgency)


SET = PolicySet(
    "v7",
    (
        _policy("default"),
        _policy("urgent", urgency="urgent", days=3),
        _policy("noise", category="noise", days=5),
        _policy("noise-urgent", category="noise", urgency="urgent", days=1),
        _policy("grid", channel="grid"),
    ),
)


def test_an_exact_category_beats_an_urgency_tier():
    assert SET.select("hotline", "noise", "normal").id == "noise"


def test_category_and_urgency_together_beat_either_alone():
    assert SET.select("hotline", "noise", "urgent").id == "noise-urgent"


def test_an_urgency_tier_beats_the_channel_default():
    assert SET.select("hotline", "water", "urgent").id == "urgent"
    assert SET.select("hotline", "water", "normal").id == "default"


def test_an_unknown_channel_has_no_policy():
    assert SET.select("fax", "noise", "urgent") is None
    with pytest.raises(LookupError):
        SET.select_or_raise("fax", "noise", "urgent")


def test_a_sound_set_validates_clean():
    assert SET.validate() == []
    assert default_policy_set().validate() == []


def test_validation_names_duplicates_missing_defaults_and_bad_specs():
    bad = PolicySet(
        "",
        (
            _policy("a", urgency="urgent"),
            _policy("b", urgency="urgent"),
            SlaPolicy("c", "hotline", {ClockKind.HANDLING: ClockSpec(2.5, WD, warn_at=1.5)}, category="x"),
        ),
    )
    problems = " | ".join(bad.validate())
    assert "version" in problems
    assert "'a' and 'b'" in problems
    assert "no default policy" in problems
    assert "whole" in problems
    assert "warn_at" in problems


def test_default_grid_reports_get_ten_working_days_to_handle():
    spec = default_policy_set().select_or_raise("grid", "hazard", None).spec(ClockKind.HANDLING)
    assert spec == ClockSpec(10, WD)


def test_default_emergencies_run_on_natural_hours():
    policy = default_policy_set().select_or_raise("hotline", "fire", "emergency")
    assert policy.spec(ClockKind.SIGN_FOR) == ClockSpec(2, TimeUnit.NATURAL_HOURS)
    assert policy.spec(ClockKind.HANDLING) == ClockSpec(24, TimeUnit.NATURAL_HOURS)


@pytest.mark.parametrize(
    ("amount", "unit"),
    [
        (501, TimeUnit.WORKING_DAYS),
        (4001, TimeUnit.WORKING_HOURS),
        (1e300, TimeUnit.NATURAL_HOURS),
        (2.5, TimeUnit.WORKING_DAYS),
    ],
)
def test_a_period_longer_than_the_calendar_counts_or_a_part_working_day_is_refused(amount, unit):
    assert ClockSpec(amount, unit).problems()
    assert LadderPolicy(rectification={Rung.SUPERVISE: RectificationSpec(amount, unit)}).validate()


def test_every_period_within_the_bounds_has_a_deadline_on_the_official_calendar():
    start = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    longest = [ClockSpec(MAX_PERIOD[unit], unit) for unit in TimeUnit]
    assert all(not spec.problems() for spec in longest)
    policies = PolicySet(
        "t", tuple(SlaPolicy(f"p{i}", "hotline", {ClockKind.HANDLING: s}) for i, s in enumerate(longest))
    )
    assert uncountable_periods(WorkCalendar(), policies, LadderPolicy(), start) == []
