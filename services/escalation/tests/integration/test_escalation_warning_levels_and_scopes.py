"""Graded early warnings (SZ Art. 21 分级预警) that reach public security for crime clues; who lists which
supervision actions and warnings; paging far past any database's integer range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from caseflow_common.auth import Role
from caseflow_common.testing import ManualClock, auth_header
from escalation.scheduler import run_scheduler_pass

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
SUPERVISOR = auth_header(Role.SUPERVISOR)
STREET_CENTRE, DISTRICT_OFFICE, CITY_OFFICE = "GZ-TH-001-ZZ", "GZ-TH-PA", "GZ-PA"
TIANHE_POLICE, LIWAN_POLICE, CITY_POLICE = "GZ-TH-GA", "GZ-LW-GA", "GZ-GA"


async def _report(svc, esc, clock, n: int, category: str) -> None:  # type: ignore[no-untyped-def]
    clock.advance(minutes=10)
    await esc.feed(svc.runtime, f"{category}-{n}", esc.received(clock(), category=category), clock())


async def test_hotspot_warnings_climb_one_level_at_each_threshold_and_fire_once_per_level(escalation, databases, esc):
    clock = ManualClock(NOW)
    async with escalation(await databases.new_url("levels"), clock, hotspot_levels=[2, 3, 5]) as svc:
        for n in range(6):
            await _report(svc, esc, clock, n, "urban.garbage")
        raised = [e.payload for e in await esc.outbox_events(svc.runtime, "PatternWarningRaised")]
        street = [(w["level"], w["count"]) for w in raised if w["region_code"] == esc.STREET]
        assert street == [(1, 2), (2, 3), (3, 5)]
        assert all(w["notify_units"] == [] for w in raised), "garbage is no crime clue"
        graver = await svc.client.get("/v1/warnings?min_level=3", headers=SUPERVISOR)
        assert {w["level"] for w in graver.json()["items"]} == {3}
        centre = await svc.client.get("/v1/warnings", headers=auth_header(Role.COORDINATION, unit=STREET_CENTRE))
        assert sorted(w["level"] for w in centre.json()["items"]) == [1, 2, 3]


async def test_a_crime_clue_hotspot_reaches_the_public_security_unit_of_its_area_and_no_other(
    escalation, databases, esc
):
    clock = ManualClock(NOW)
    async with escalation(await databases.new_url("clues"), clock, hotspot_threshold=3) as svc:
        for n in range(3):
            await _report(svc, esc, clock, n, "clue.fraud")
            await _report(svc, esc, clock, n, "urban.garbage")
        raised = [e.payload for e in await esc.outbox_events(svc.runtime, "PatternWarningRaised")]
        fraud = {w["region_code"]: w["notify_units"] for w in raised if w["category"] == "clue.fraud"}
        # each level's hotspot reaches the police of that area: the street's and the district's the district
        # branch (the street has none of its own), the city's the city bureau
        assert fraud == {esc.STREET: [TIANHE_POLICE], "440106": [TIANHE_POLICE], "440100": [CITY_POLICE]}
        assert all(w["notify_units"] == [] for w in raised if w["category"] == "urban.garbage")

        police = await svc.client.get("/v1/warnings", headers=auth_header(Role.DEPARTMENT, unit=TIANHE_POLICE))
        assert police.status_code == 200
        assert {(w["category"], w["region_code"]) for w in police.json()["items"]} == {
            ("clue.fraud", esc.STREET),
            ("clue.fraud", "440106"),
        }
        assert all(w["notify_units"] == [TIANHE_POLICE] for w in police.json()["items"])
        for unit in (LIWAN_POLICE, esc.UNIT):
            other = await svc.client.get("/v1/warnings", headers=auth_header(Role.DEPARTMENT, unit=unit))
            assert other.status_code == 200 and other.json()["total"] == 0
        centre = await svc.client.get("/v1/warnings", headers=auth_header(Role.COORDINATION, unit=STREET_CENTRE))
        assert {w["category"] for w in centre.json()["items"]} == {"clue.fraud", "urban.garbage"}
        assert (await svc.client.get("/v1/warnings", headers=auth_header(Role.HOTLINE))).status_code == 403


async def test_a_coordination_institution_lists_supervision_actions_of_units_in_its_own_area_only(
    escalation, databases, esc
):
    street_office, district_unit, elsewhere = "GZ-TH-001-JD", "GZ-TH-CG", "GZ-LW-CG"
    async with escalation(await databases.new_url("area"), ManualClock(NOW)) as svc:
        for unit in (street_office, district_unit, elsewhere):
            await esc.feed(svc.runtime, f"C-{unit}", esc.received(NOW), NOW)
            await esc.feed(svc.runtime, f"C-{unit}", esc.dispatched(NOW, unit=unit), NOW)
        await run_scheduler_pass(svc.runtime, NOW + timedelta(days=3))  # every unit left its case unsigned

        async def listed(unit: str, query: str = "") -> set[str]:
            resp = await svc.client.get(
                f"/v1/supervision/actions{query}", headers=auth_header(Role.COORDINATION, unit=unit)
            )
            assert resp.status_code == 200
            return {a["unit"] for a in resp.json()["items"]}

        assert await listed(STREET_CENTRE) == {street_office}
        assert await listed(DISTRICT_OFFICE) == {street_office, district_unit}
        assert await listed(CITY_OFFICE) == {street_office, district_unit, elsewhere}
        assert await listed(STREET_CENTRE, f"?unit={elsewhere}") == set(), "naming a unit outside widens nothing"
        everything = await svc.client.get("/v1/supervision/actions?page_size=200", headers=SUPERVISOR)
        assert {a["unit"] for a in everything.json()["items"]} == {street_office, district_unit, elsewhere}


async def test_a_page_past_the_databases_integer_range_is_refused_with_422_not_500(escalation, databases, esc):
    async with escalation(await databases.new_url("pages"), ManualClock(NOW)) as svc:
        for path, headers in (
            ("/v1/supervision/actions", SUPERVISOR),
            ("/v1/warnings", SUPERVISOR),
            ("/v1/supervision/actions", auth_header(Role.COORDINATION, unit=STREET_CENTRE)),
            ("/v1/warnings", auth_header(Role.DEPARTMENT, unit=TIANHE_POLICE)),
        ):
            for page in (2**63, 2**62, 10**30):
                resp = await svc.client.get(f"{path}?page={page}&page_size=200", headers=headers)
                assert resp.status_code == 422, (path, page, resp.text)
                assert resp.json()["error"]["code"]
            ok = await svc.client.get(f"{path}?page=1000000&page_size=200", headers=headers)
            assert ok.status_code == 200 and ok.json()["items"] == []
