"""Which deadlines a queue item shows the unit asking: its own clocks on the case, else the holder's; running only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.views import running_deadlines

AT = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
LEAD, HELPER, CENTRE = "GZ-TH-CG", "GZ-TH-SW", "GZ-TH-001-ZZ"


def clock(kind: str, unit: str, role: str, hours: float, state: str = "running") -> dict:
    return {"kind": kind, "unit": unit, "role": role, "state": state, "deadline": AT + timedelta(hours=hours)}


CLOCKS = [
    clock("sign_for", LEAD, "holder", 2),
    clock("handling", LEAD, "holder", 48),
    clock("reply", LEAD, "holder", 72, state="paused"),
    clock("first_contact", LEAD, "holder", 1, state="met"),
    clock("handling", HELPER, "assisting", 24),
]


def test_an_assisting_unit_sees_its_own_clocks_and_not_the_lead_units():
    assert running_deadlines(CLOCKS, HELPER) == {"handling": AT + timedelta(hours=24)}


def test_the_holder_sees_its_running_clocks_only_paused_and_met_ones_do_not_run():
    assert running_deadlines(CLOCKS, LEAD) == {
        "sign_for": AT + timedelta(hours=2),
        "handling": AT + timedelta(hours=48),
    }


def test_a_unit_without_clocks_of_its_own_sees_the_holders_and_a_passed_one_still_runs():
    breached = [*CLOCKS, clock("sign_for", LEAD, "holder", -1, state="breached")]
    assert running_deadlines(breached, CENTRE)["sign_for"] == AT - timedelta(hours=1)  # the earliest of a kind
