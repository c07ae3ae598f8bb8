"""A matter spanning districts: hotline and grid reports name several regions (location.region_codes), each one
checked against the directory in force (the files with dispatch's changes), all of them carried on CaseReceived for
dispatch (GZ Art. 10; SZ Art. 24; GZ Art. 5; SZ Art. 8)."""

from __future__ import annotations

from datetime import timedelta

from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.contracts.dispatch import DIRECTORY_RECORD, DirectoryChanged, DirectoryEntry
from caseflow_common.testing import auth_header, wait_for

HOTLINE, GRID_ROLE = auth_header(Role.HOTLINE), auth_header(Role.GRID)
TIANHE_STREET, YUEXIU_STREET = "440106001", "440104001"


def _fields(response) -> dict[str, str]:
    return {d["field"]: d["message"] for d in response.json()["error"]["details"]}


async def test_a_report_naming_two_districts_carries_both_regions_on_case_received(
    intake, make_hotline, make_grid, intake_topic
):
    body = make_hotline(location={"region_codes": [TIANHE_STREET, YUEXIU_STREET], "address": "天河区与越秀区交界"})
    r = await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
    assert r.status_code == 201, r.text
    again = await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
    assert (again.status_code, again.json()["case_id"]) == (200, r.json()["case_id"])
    grid = make_grid(location={"region_codes": [YUEXIU_STREET, TIANHE_STREET]})
    g = await intake.client.post("/v1/grid/reports", json=grid, headers=GRID_ROLE)
    assert g.status_code == 201, g.text

    def received(events):
        return {e.case_id: e.payload for e in events if e.event_type == "CaseReceived"}

    events = await intake_topic.read_until(lambda es: len(received(es)) >= 2)
    hotline_case, grid_case = received(events)[r.json()["case_id"]], received(events)[g.json()["case_id"]]
    assert (hotline_case["region_code"], hotline_case["region_codes"]) == (
        TIANHE_STREET,
        [TIANHE_STREET, YUEXIU_STREET],
    )
    assert hotline_case["region_path"][-1] == "440100"
    assert (grid_case["region_code"], grid_case["region_codes"]) == (YUEXIU_STREET, [YUEXIU_STREET, TIANHE_STREET])


async def test_a_single_region_report_keeps_working_and_lists_its_one_region(intake, make_hotline, intake_topic):
    r = await intake.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE)
    assert r.status_code == 201, r.text
    events = await intake_topic.read_until(lambda es: any(e.event_type == "CaseReceived" for e in es))
    payload = next(e.payload for e in events if e.event_type == "CaseReceived")
    assert payload["region_codes"] == [payload["region_code"]]


async def test_every_region_of_a_report_is_checked_against_the_directory(intake, make_hotline):
    unknown = make_hotline(location={"region_code": TIANHE_STREET, "region_codes": ["440104001", "999999"]})
    r = await intake.client.post("/v1/hotline/reports", json=unknown, headers=HOTLINE)
    assert r.status_code == 422 and "unknown region code '999999'" in _fields(r)["location.region_codes.2"], r.text
    city = make_hotline(location={"region_codes": [TIANHE_STREET, "440100"]})
    r = await intake.client.post("/v1/hotline/reports", json=city, headers=HOTLINE)
    assert r.status_code == 422 and "is a city level" in _fields(r)["location.region_codes.1"], r.text
    many = make_hotline(location={"region_codes": [f"4401060010{i:02d}" for i in range(21)]})
    assert (await intake.client.post("/v1/hotline/reports", json=many, headers=HOTLINE)).status_code == 422


async def test_a_region_dispatch_adds_is_reportable_from_its_date_and_a_retired_one_no_longer(
    intake, make_hotline, feeder, clock
):
    new_street, retired_grid = "440106099", "440103001001-02"
    added = DirectoryChanged(
        directory_version=2,
        op="add_region",
        code=new_street,
        effective_from=clock() + timedelta(days=1),
        entry=DirectoryEntry(code=new_street, name="新设街道", level="street", parent="440106"),
    )
    retired = DirectoryChanged(directory_version=3, op="retire_region", code=retired_grid, effective_from=clock())
    body = make_hotline(location={"region_codes": [TIANHE_STREET, new_street]})
    early = await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
    assert early.status_code == 422 and "unknown region code '440106099'" in _fields(early)["location.region_codes.1"]

    for change in (added, retired):
        await feeder.send(topics.DISPATCH, DIRECTORY_RECORD, change)

    async def retirement_known() -> bool:
        return retired_grid not in intake.runtime.context.regions

    await wait_for(retirement_known, timeout=20)
    gone = make_hotline(location={"region_code": retired_grid})
    r = await intake.client.post("/v1/hotline/reports", json=gone, headers=HOTLINE)
    assert r.status_code == 422 and "unknown region code" in _fields(r)["location.region_code"], r.text
    assert (await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)).status_code == 422  # not yet
    clock.advance(days=2)
    r = await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
    assert r.status_code == 201, r.text
