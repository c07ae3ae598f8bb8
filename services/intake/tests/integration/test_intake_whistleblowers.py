"""Whistleblowers (举报人): their identity is shown to no role, the hotline included, unless the settings name the
role (GZ Art. 20; DOMAIN.md "Privacy"); what they typed is shown redacted like their identity."""

from __future__ import annotations

from caseflow_common.auth import Role
from caseflow_common.testing import ManualClock, auth_header, running, service_settings
from intake.bootstrap import build
from intake.settings import Settings

HOTLINE = auth_header(Role.HOTLINE)
WHISTLEBLOWER = {"name": "钱多多", "phone": "13655554444"}
SAID = "我是钱多多，电话13655554444，某歌厅有人组织收保护费"


async def _report(svc, make_hotline) -> dict:  # type: ignore[no-untyped-def]
    body = make_hotline(category="clue.gang_crime", description=SAID, requester=WHISTLEBLOWER)
    r = await svc.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
    assert r.status_code == 201, r.text
    view = await svc.client.get(f"/v1/cases/{r.json()['case_id']}", headers=HOTLINE)
    assert view.status_code == 200
    return view.json()


async def test_the_hotline_sees_neither_a_whistleblowers_identity_nor_the_text_that_names_them(intake, make_hotline):
    view = await _report(intake, make_hotline)
    assert view["requester"] is None
    assert view["description"] == "我是[姓名]，电话[电话]，某歌厅有人组织收保护费"
    # An anonymous requester of an ordinary category is still the hotline's to see: it took the call.
    r = await intake.client.post(
        "/v1/hotline/reports",
        headers=HOTLINE,
        json=make_hotline(category="traffic.order", requester={"anonymous": True, "phone": "13700001111"}),
    )
    anonymous = (await intake.client.get(f"/v1/cases/{r.json()['case_id']}", headers=HOTLINE)).json()
    assert anonymous["requester"] == {"name": None, "phone": "13700001111", "anonymous": True}


async def test_a_role_the_settings_name_sees_the_whistleblower_as_given(
    broker, topic_prefix, sqlite_only, make_hotline
):
    settings = service_settings(
        Settings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await sqlite_only.new_url("intake"),
        whistleblower_view_roles=["hotline"],
    )
    async with running(build, settings, clock=ManualClock(), workers=False) as svc:
        view = await _report(svc, make_hotline)
    assert view["requester"] == {**WHISTLEBLOWER, "anonymous": False}
    assert view["description"] == SAID
