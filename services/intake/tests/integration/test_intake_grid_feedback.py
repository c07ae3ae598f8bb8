"""Grid reports carry urgency, and the grid system reads back the status and the reply of its own reports only."""

from __future__ import annotations

from datetime import timedelta

from caseflow_common import topics
from caseflow_common.auth import Role, TokenCodec
from caseflow_common.contracts import dispatch as d
from caseflow_common.testing import TEST_SECRET, auth_header, wait_for

HOTLINE = auth_header(Role.HOTLINE)
GRID = auth_header(Role.GRID)
# A second grid system (another subject with the grid role).
_OTHER_TOKEN = TokenCodec(TEST_SECRET).issue("grid-system-haizhu", Role.GRID, ttl=timedelta(days=1))
OTHER_GRID = {"Authorization": f"Bearer {_OTHER_TOKEN}"}
UNIT = "440103-XF"
REPLY = "已清理楼道杂物，消防通道恢复畅通，如有疑问请联系 13812345678"


async def _grid_report(intake, body) -> dict:
    r = await intake.client.post("/v1/grid/reports", json=body, headers=GRID)
    assert r.status_code == 201, r.text
    return r.json()


async def test_the_grid_system_reads_the_status_and_the_reply_of_a_report_it_submitted(
    intake, make_grid, feeder, clock
):
    body = make_grid()
    case_id = (await _grid_report(intake, body))["case_id"]
    await feeder.send(topics.DISPATCH, case_id, d.CaseDispatched(unit=UNIT, unit_name="荔湾区消防救援大队", at=clock()))
    await feeder.send(
        topics.DISPATCH, case_id, d.CaseReplied(unit=UNIT, at=clock.advance(hours=2), content=REPLY, resolved=True)
    )

    async def replied():
        r = await intake.client.get(f"/v1/cases/{case_id}", headers=GRID)  # a 403 today
        return r.json() if r.status_code == 200 and r.json()["status"] == "replied" else None

    view = await wait_for(replied, timeout=20)
    assert view["reply"]["content"].startswith("已清理楼道杂物") and view["reply"]["resolved"] is True
    assert "13812345678" not in view["reply"]["content"]  # personal data in a reply is redacted for the grid
    assert view["unit"] == UNIT and view["unit_name"] == "荔湾区消防救援大队"
    assert view["external_id"] == body["external_id"] and view["observed_at"] == "2026-11-20T01:00:00Z"
    assert not {"requester", "description", "address", "steps", "lat", "lon"} & set(view)
    by_external_id = await intake.client.get(f"/v1/grid/reports/{body['external_id']}", headers=GRID)
    assert by_external_id.status_code == 200 and by_external_id.json() == view
    listing = (await intake.client.get("/v1/grid/reports", params={"status": "replied"}, headers=GRID)).json()
    assert [i["case_id"] for i in listing["items"]] == [case_id] and listing["total"] == 1
    empty = (await intake.client.get("/v1/grid/reports", params={"status": "closed"}, headers=GRID)).json()
    assert empty["items"] == [] and empty["total"] == 0


async def test_the_grid_system_cannot_read_hotline_cases_or_another_grid_systems_reports(
    intake, make_grid, make_hotline
):
    own = await _grid_report(intake, make_grid())
    hotline = await intake.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE)
    assert hotline.status_code == 201
    unknown = "GZ-20261120-999999"
    for case_id in (hotline.json()["case_id"], unknown):
        r = await intake.client.get(f"/v1/cases/{case_id}", headers=GRID)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
        assert "张三" not in r.text and "13812345678" not in r.text
    assert (await intake.client.get(f"/v1/cases/{own['case_id']}", headers=OTHER_GRID)).status_code == 404
    other_listing = (await intake.client.get("/v1/grid/reports", headers=OTHER_GRID)).json()
    assert other_listing["items"] == [] and other_listing["total"] == 0
    own_listing = (await intake.client.get("/v1/grid/reports", headers=GRID)).json()
    assert [i["case_id"] for i in own_listing["items"]] == [own["case_id"]]
    missing = await intake.client.get("/v1/grid/reports/GR-nobody", headers=GRID)
    assert missing.status_code == 404
    # The hotline still reads every case, the grid's too; other roles read none.
    assert (await intake.client.get(f"/v1/cases/{own['case_id']}", headers=HOTLINE)).status_code == 200
    dept = auth_header(Role.DEPARTMENT, unit=UNIT)
    assert (await intake.client.get(f"/v1/cases/{own['case_id']}", headers=dept)).status_code == 403
    assert (await intake.client.get("/v1/grid/reports", headers=HOTLINE)).status_code == 403


async def test_a_grid_report_carries_its_urgency_and_an_emergency_category_is_always_an_emergency(
    intake, make_grid, intake_topic
):
    gas = await _grid_report(
        intake, make_grid(category="urban.gas_leak", urgency="normal", description="巡查发现小区燃气管道漏气")
    )
    tree = await _grid_report(intake, make_grid(category="urban.fallen_tree", description="路边大树倒伏"))
    garbage = await _grid_report(
        intake,
        make_grid(category="urban.garbage", urgency="urgent", description="垃圾堆积发臭", grid_code="440103001002-01"),
    )
    ids = {gas["case_id"], tree["case_id"], garbage["case_id"]}
    events = await intake_topic.read_until(lambda es: {e.case_id for e in es if e.event_type == "CaseReceived"} >= ids)
    urgency = {e.case_id: e.payload["urgency"] for e in events if e.event_type == "CaseReceived"}
    assert urgency[gas["case_id"]] == "emergency"  # today: "normal", as the report said
    assert urgency[tree["case_id"]] == "urgent"  # the category's default
    assert urgency[garbage["case_id"]] == "urgent"  # the grid member's own judgement
    view = (await intake.client.get(f"/v1/cases/{gas['case_id']}", headers=GRID)).json()
    assert view["urgency"] == "emergency"
