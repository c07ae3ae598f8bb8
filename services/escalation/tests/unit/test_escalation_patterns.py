from datetime import datetime, timedelta

import pytest

from caseflow_common.contracts.escalation import PatternKind
from escalation.domain.calendar import SHANGHAI
from escalation.domain.patterns import (
    CaseSighting,
    CrimeClues,
    Evaluation,
    Grading,
    HotspotPolicy,
    OpenCase,
    RepeatPolicy,
    hotspot_levels,
    hotspot_warnings,
    low_satisfaction_warnings,
    repeat_warnings,
)

NOW = datetime(2026, 3, 20, 10, tzinfo=SHANGHAI)
COORD = {"street-1": "zz-street-1", "district-A": "office-A", "U1": "office-A"}.get


def sightings(n: int, category: str = "noise", start: datetime = NOW - timedelta(days=6)):
    return [CaseSighting(f"C{i}", category, start + timedelta(hours=i), ("street-1", "district-A")) for i in range(n)]


def test_ten_cases_of_one_kind_in_a_street_within_a_week_raise_a_hotspot_for_its_coordination_unit():
    warnings = hotspot_warnings(sightings(10), NOW, COORD)
    by_region = {w.region_code: w for w in warnings}
    assert by_region["street-1"].coordination_unit == "zz-street-1"
    assert by_region["district-A"].coordination_unit == "office-A"
    assert by_region["street-1"].count == 10
    assert by_region["street-1"].kind is PatternKind.HOTSPOT


def test_nine_cases_or_old_cases_raise_nothing():
    assert hotspot_warnings(sightings(9), NOW, COORD) == []
    assert hotspot_warnings(sightings(10, start=NOW - timedelta(days=30)), NOW, COORD) == []
    mixed = sightings(5) + sightings(5, category="water")
    assert hotspot_warnings(mixed, NOW, COORD) == []


def test_a_hotspot_fires_once_per_window():
    first = hotspot_warnings(sightings(10), NOW, COORD)
    later_same_window = hotspot_warnings(sightings(11), NOW + timedelta(hours=1), COORD)
    next_window = hotspot_warnings(sightings(10, start=NOW + timedelta(days=1)), NOW + timedelta(days=7), COORD)
    assert {w.id for w in first} == {w.id for w in later_same_window}
    assert not {w.id for w in first} & {w.id for w in next_window}


def test_repeat_reports_merged_into_an_open_case_raise_a_repeat_warning():
    case = OpenCase("C1", 1, "noise", "street-1", NOW - timedelta(days=2), ("C2", "C3", "C4"))
    warnings = repeat_warnings([case, OpenCase("C9", 1, "noise", "street-1", NOW, ("C10",))], NOW, COORD)
    assert [(w.case_ids, w.coordination_unit, w.count) for w in warnings] == [
        (("C1", "C2", "C3", "C4"), "zz-street-1", 3)
    ]
    assert repeat_warnings([case], NOW + timedelta(days=3), COORD)[0].id == warnings[0].id


def evaluations(satisfied: int, dissatisfied: int, basically: int = 0):
    levels = ["satisfied"] * satisfied + ["basically_satisfied"] * basically + ["dissatisfied"] * dissatisfied
    return [Evaluation("U1", f"C{i}", NOW - timedelta(hours=i + 1), s) for i, s in enumerate(levels)]


def test_a_unit_below_eighty_percent_over_its_last_ten_evaluations_is_flagged():
    [warning] = low_satisfaction_warnings(evaluations(7, 3), NOW, COORD)
    assert warning.unit == "U1"
    assert warning.coordination_unit == "office-A"
    assert warning.rate == 0.7
    assert len(warning.case_ids) == 10


def test_basically_satisfied_counts_as_satisfied_and_few_evaluations_are_not_judged():
    assert low_satisfaction_warnings(evaluations(5, 2, basically=3), NOW, COORD) == []
    assert low_satisfaction_warnings(evaluations(2, 7), NOW, COORD) == []


def test_a_hotspot_is_graded_by_its_count_and_each_level_has_an_id_of_its_own():
    policy = HotspotPolicy(threshold=10)
    assert policy.grading.thresholds == (10, 20, 40)
    first = {w.region_code: w for w in hotspot_warnings(sightings(10), NOW, COORD, policy)}["street-1"]
    graver = {w.region_code: w for w in hotspot_warnings(sightings(25), NOW, COORD, policy)}["street-1"]
    assert (first.level, graver.level) == (1, 2)
    assert first.id != graver.id
    ungraded = {w.region_code: w for w in hotspot_warnings(sightings(10), NOW, COORD, HotspotPolicy(10, levels=(10,)))}
    assert ungraded["street-1"].id == first.id, "level 1 keeps the id an ungraded warning had"


@pytest.mark.parametrize("n", [9, 10, 19, 20, 25, 40, 41])
def test_counting_names_the_regions_and_warnings_that_reading_every_case_would_raise(n: int) -> None:
    """The hotspot check counts per region first and reads the cases only where a level is reached: the counts must
    lead to exactly the warnings (ids and levels) the cases themselves give."""
    policy = HotspotPolicy(threshold=10)
    cases = sightings(n)
    counts = {"street-1": n, "district-A": n, "street-2": 3}
    expected = {w.region_code: w.id for w in hotspot_warnings(cases, NOW, COORD, policy)}
    assert hotspot_levels(counts, "noise", NOW, policy) == expected
    assert (n >= 10) == bool(expected)


def test_levels_must_ascend():
    for bad in ((), (3, 3), (5, 2), (0, 1)):
        with pytest.raises(ValueError):
            Grading(bad)
    assert Grading((2, 5)).level(1) == 0 and Grading((2, 5)).level(4) == 1 and Grading((2, 5)).level(9) == 2


def test_crime_clue_hotspots_name_the_units_they_also_reach():
    clues = CrimeClues(("clue.*", "market.counterfeit"))
    assert clues.matches("clue.fraud") and clues.matches("market.counterfeit") and not clues.matches("noise")

    def police(category: str, region: str) -> tuple[str, ...]:
        return ("police-A",) if clues.matches(category) else ()

    fraud = hotspot_warnings(sightings(10, "clue.fraud"), NOW, COORD, HotspotPolicy(10), police)
    noise = hotspot_warnings(sightings(10), NOW, COORD, HotspotPolicy(10), police)
    assert {w.notify_units for w in fraud} == {("police-A",)} and {w.notify_units for w in noise} == {()}


def test_repeats_are_graded_too():
    case = OpenCase("C1", 1, "noise", "street-1", NOW, tuple(f"R{i}" for i in range(6)))
    [warning] = repeat_warnings([case], NOW, COORD, RepeatPolicy(threshold=3))
    assert warning.level == 2 and warning.count == 6
