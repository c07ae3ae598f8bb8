"""Repeat requests linked to their open case, and requester identity kept out of events, logs and public views."""

from __future__ import annotations

import logging

from sqlalchemy import select

from caseflow_common.auth import Role
from caseflow_common.testing import auth_header
from intake.orm import requesters

HOTLINE = auth_header(Role.HOTLINE)
PHONE = "13912345678"


async def test_a_repeat_report_at_the_same_place_is_linked_to_the_open_case(intake, make_hotline, intake_topic):
    first = (await intake.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE)).json()
    # Same category, coordinates ~30 m away in the same grid: a repeat (重复诉求).
    repeat = await intake.client.post(
        "/v1/hotline/reports",
        headers=HOTLINE,
        json=make_hotline(
            location={"lat": 23.1212, "lon": 113.2382}, requester={"name": "王五", "phone": "13700001111"}
        ),
    )
    other = await intake.client.post(
        "/v1/hotline/reports", json=make_hotline(category="traffic.order"), headers=HOTLINE
    )
    assert repeat.status_code == 201
    assert repeat.json()["merged_into"] == first["case_id"] and repeat.json()["status"] == "merged"
    assert repeat.json()["case_id"] != first["case_id"]
    assert other.json()["merged_into"] is None
    events = await intake_topic.read_until(lambda es: any(e.event_type == "CaseMerged" for e in es))
    merged = next(e for e in events if e.event_type == "CaseMerged")
    assert merged.case_id == repeat.json()["case_id"]
    assert merged.payload["into_case_id"] == first["case_id"]
    view = (await intake.client.get(f"/v1/cases/{repeat.json()['case_id']}", headers=HOTLINE)).json()
    assert view["status"] == "merged" and view["merged_into"] == first["case_id"]
    assert view["requester"] == {"name": "王五", "phone": "13700001111", "anonymous": False}


async def test_the_phone_number_appears_in_no_event_log_or_public_view(intake, make_hotline, intake_topic, caplog):
    caplog.set_level(logging.DEBUG)
    named = await intake.client.post(
        "/v1/hotline/reports",
        headers=HOTLINE,
        json=make_hotline(requester={"name": "张三丰", "phone": f"+86 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}"}),
    )
    anonymous = await intake.client.post(
        "/v1/hotline/reports",
        headers=HOTLINE,
        json=make_hotline(category="traffic.order", requester={"anonymous": True, "phone": PHONE}),
    )
    whistle = await intake.client.post(
        "/v1/hotline/reports",
        headers=HOTLINE,
        json=make_hotline(
            category="clue.gang_crime", description="某场所疑似涉黑涉恶", requester={"name": "李四", "phone": PHONE}
        ),
    )
    ids = [r.json()["case_id"] for r in (named, anonymous, whistle)]
    events = await intake_topic.read_until(
        lambda es: {e.case_id for e in es if e.event_type == "CaseReceived"} >= set(ids)
    )
    assert all(PHONE not in raw.decode() for raw in intake_topic.raw)
    by_case = {e.case_id: e.payload for e in events if e.event_type == "CaseReceived"}
    assert by_case[ids[0]]["requester"] == {"name": "张**", "phone": "139****5678"}
    assert by_case[ids[1]]["requester"] is None and by_case[ids[1]]["anonymous"]
    assert by_case[ids[2]]["requester"] is None and by_case[ids[2]]["whistleblower"]
    public = await intake.client.get("/open311/v2/requests.json")
    assert PHONE not in public.text and "张三丰" not in public.text
    assert ids[2] not in public.text  # whistleblower reports are never public
    leaks = [r.getMessage()[:300] for r in caplog.records if PHONE in r.getMessage()]
    assert not leaks, leaks
    assert PHONE not in caplog.text and "张三丰" not in caplog.text
    async with intake.runtime.sessions() as s:
        stored = (await s.execute(select(requesters.c.phone_encrypted, requesters.c.phone_hash))).all()
    assert stored and all(PHONE not in (row.phone_encrypted or "") for row in stored)
    assert len({row.phone_hash for row in stored}) == 1  # one number, one keyed hash, whatever its spelling
    # The hotline took the call and sees its own data in full.
    view = (await intake.client.get(f"/v1/cases/{ids[0]}", headers=HOTLINE)).json()
    assert view["requester"]["phone"] == PHONE
    forbidden = await intake.client.get(f"/v1/cases/{ids[0]}", headers=auth_header(Role.DEPARTMENT, unit="U1"))
    assert forbidden.status_code == 403 and PHONE not in forbidden.text
