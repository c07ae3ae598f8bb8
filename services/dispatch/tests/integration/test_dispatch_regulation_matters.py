"""Matters the regulations name route where they say, and the mental-health centre hears of severe mental disorder."""

from __future__ import annotations

import pytest

from caseflow_common.auth import Role

MATTERS = [
    ("education.school_bullying", "GZ-TH-JY"),  # SZ Art. 34: the district education bureau
    ("family.domestic_violence", "GZ-TH-GA"),  # SZ Art. 39 ¶2: public security protects the victim
    ("care.minor_begging", "GZ-TH-GA"),  # GZ Art. 32 ¶2: minors forced to beg -> public security
    ("safety.participant_threat", "GZ-TH-GA"),  # GZ Art. 46 ¶2: threats to participants -> public security
]


@pytest.mark.parametrize(("category", "unit"), MATTERS, ids=[c for c, _ in MATTERS])
async def test_each_matter_of_the_regulations_reaches_the_unit_that_holds_the_duty(dispatch, category, unit):
    case_id = await dispatch.receive(category=category)
    view = await dispatch.case(case_id, unit)
    assert (view["status"], view["routing"]["rule_id"]) == ("dispatched", f"r-{category}")
    assert view["category_name"]


async def test_a_case_of_severe_mental_disorder_goes_to_coordination_and_the_mental_health_centre_is_notified(
    dispatch,
):
    case_id = await dispatch.receive(category="care.severe_mental_disorder")
    assert (await dispatch.case(case_id, "GZ-TH-001-ZZ", Role.COORDINATION))["notified_units"] == ["GZ-JWZX"]
    centre = (await dispatch.get("/v1/work/cases", "GZ-JWZX")).json()["items"]
    assert [(c["case_id"], c["role"]) for c in centre] == [(case_id, "notified")]
    assert (await dispatch.case(case_id, "GZ-JWZX"))["requester"] == {"name": "张*", "phone": "138****5678"}
    assert (await dispatch.act(case_id, "accept", "GZ-JWZX")).status_code == 403
    assert (await dispatch.act(case_id, "progress", "GZ-JWZX", {"note": "x"})).status_code == 403
    events = await dispatch.published(case_id, 2)
    assert [(e["event_type"], e["payload"]["unit"]) for e in events] == [
        ("CaseSentToCoordination", "GZ-TH-001-ZZ"),
        ("CaseNoticeSent", "GZ-JWZX"),
    ]
    assert events[1]["payload"]["basis"] == "SZ Art. 44" and events[1]["payload"]["role"] == "notified"
