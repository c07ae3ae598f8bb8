"""Return visits: a requester not reached is called again, every attempt and every cycle's evaluation is kept."""

from __future__ import annotations

from sqlalchemy import select

from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.contracts import dispatch as d
from caseflow_common.testing import auth_header, wait_for
from intake.orm import visits

HOTLINE = auth_header(Role.HOTLINE)
UNIT = "440103-CG"


async def _closed_case(intake, make_hotline, feeder, clock, *, case_id: str | None = None, cycle: int = 1) -> str:
    if case_id is None:
        r = await intake.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE)
        case_id = r.json()["case_id"]
    for event in (
        d.CaseDispatched(unit=UNIT, at=clock.advance(minutes=1), cycle=cycle),
        d.CaseReplied(unit=UNIT, at=clock.advance(hours=1), content="已处理", resolved=True, cycle=cycle),
        d.CaseClosed(unit=UNIT, at=clock.advance(minutes=1), cycle=cycle),
    ):
        await feeder.send(topics.DISPATCH, case_id, event)

    async def closed():
        view = (await intake.client.get(f"/v1/cases/{case_id}", headers=HOTLINE)).json()
        return view["status"] == "closed" and view["cycle"] == cycle

    await wait_for(closed, timeout=20)
    return case_id


async def _visit(intake, case_id: str, **body):
    return await intake.client.post(f"/v1/cases/{case_id}/visits", json=body, headers=HOTLINE)


async def test_a_requester_not_reached_is_called_again_until_an_attempt_reaches_them(
    intake, make_hotline, feeder, intake_topic, clock
):
    case_id = await _closed_case(intake, make_hotline, feeder, clock)
    first = await _visit(intake, case_id, contacted=False, comment="无人接听")
    clock.advance(hours=3)
    second = await _visit(intake, case_id, contacted=False, comment="关机")
    assert (first.status_code, second.status_code) == (201, 201), second.text  # today the second one is a 409
    assert [first.json()["attempt"], second.json()["attempt"]] == [1, 2]
    assert second.json()["status"] == "closed" and second.json()["reopened"] is False
    clock.advance(days=1)
    reached = await _visit(intake, case_id, contacted=True, satisfaction="satisfied")
    assert reached.status_code == 201 and reached.json()["attempt"] == 3
    again = await _visit(intake, case_id, contacted=False)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_visited"

    view = (await intake.client.get(f"/v1/cases/{case_id}", headers=HOTLINE)).json()
    assert [(v["attempt"], v["contacted"], v["satisfaction"]) for v in view["visits"]] == [
        (1, False, None),
        (2, False, None),
        (3, True, "satisfied"),
    ]
    events = await intake_topic.read_until(lambda es: sum(e.event_type == "VisitRecorded" for e in es) >= 3)
    recorded = [e.payload for e in events if e.event_type == "VisitRecorded"]
    assert [(v["attempt"], v["contacted"], v["cycle"]) for v in recorded] == [
        (1, False, 1),
        (2, False, 1),
        (3, True, 1),
    ]


async def test_every_cycle_keeps_its_own_evaluation_after_a_dissatisfied_one_reopens_the_case(
    intake, make_hotline, feeder, intake_topic, clock
):
    case_id = await _closed_case(intake, make_hotline, feeder, clock)
    dissatisfied = await _visit(intake, case_id, contacted=True, satisfaction="dissatisfied", comment="没解决")
    assert dissatisfied.json()["reopened"] is True
    await _closed_case(intake, make_hotline, feeder, clock, case_id=case_id, cycle=2)
    satisfied = await _visit(intake, case_id, contacted=True, satisfaction="satisfied", comment="解决了")
    assert satisfied.status_code == 201 and satisfied.json()["cycle"] == 2

    view = (await intake.client.get(f"/v1/cases/{case_id}", headers=HOTLINE)).json()
    assert [(v["cycle"], v["satisfaction"], v["comment"]) for v in view["visits"]] == [
        (1, "dissatisfied", "没解决"),
        (2, "satisfied", "解决了"),
    ]
    events = await intake_topic.read_until(lambda es: sum(e.event_type == "VisitRecorded" for e in es) >= 2)
    recorded = [(e.payload["cycle"], e.payload["satisfaction"]) for e in events if e.event_type == "VisitRecorded"]
    assert recorded == [(1, "dissatisfied"), (2, "satisfied")]


# A closed case at 10:32+08:00; each stated time and what the refusal says of it.
REFUSED_VISIT_TIMES = {
    "2026-11-20T12:00:00+08:00": "ahead of the clock",
    "2026-11-20T09:00:00+08:00": "precede the closure",
    "2026-10-01T09:00:00+08:00": "days in the past",
    "9999-12-31T23:59:59-12:00": "representable range",
    "0001-01-01T00:00:00+08:00": "representable range",
    "9999-12-31T23:59:59+08:00": "in the future",
    "2026-11-20T10:40:00": "UTC offset",
}


async def test_a_stated_visit_time_after_the_clock_before_the_closure_or_off_the_calendar_is_a_422(
    intake, make_hotline, feeder, clock
):
    case_id = await _closed_case(intake, make_hotline, feeder, clock)
    for visited_at, message in REFUSED_VISIT_TIMES.items():
        r = await _visit(intake, case_id, contacted=True, satisfaction="satisfied", visited_at=visited_at)
        assert r.status_code == 422, (visited_at, r.text)
        details = {d["field"]: d["message"] for d in r.json()["error"]["details"]}
        assert message in details["visited_at"], (visited_at, details)
    ok = await _visit(intake, case_id, contacted=True, satisfaction="satisfied", visited_at="2026-11-20T10:33:00+08:00")
    assert ok.status_code == 201, ok.text
    view = (await intake.client.get(f"/v1/cases/{case_id}", headers=HOTLINE)).json()
    assert [v["visited_at"] for v in view["visits"]] == ["2026-11-20T02:33:00Z"]


async def test_a_phone_number_or_name_in_a_visit_comment_stays_in_intake_and_only_the_hotline_reads_it(
    intake, make_hotline, feeder, intake_topic, clock
):
    body = make_hotline(requester={"name": "欧阳娜娜", "phone": "13812345678"})
    r = await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)
    case_id = await _closed_case(intake, make_hotline, feeder, clock, case_id=r.json()["case_id"])
    said = "欧阳娜娜说满意，以后打13911112222或发邮件到nana@example.com"
    assert (await _visit(intake, case_id, contacted=True, satisfaction="satisfied", comment=said)).status_code == 201

    events = await intake_topic.read_until(lambda es: any(e.event_type == "VisitRecorded" for e in es))
    comment = next(e for e in events if e.event_type == "VisitRecorded").payload["comment"]
    assert comment == "[姓名]说满意，以后打[电话]或发邮件到[邮箱]"
    assert not any(b"13911112222" in raw or "欧阳娜娜".encode() in raw for raw in intake_topic.raw)
    async with intake.runtime.sessions() as s:
        stored = (await s.execute(select(visits.c.comment, visits.c.comment_sealed))).one()
    assert stored.comment == comment and "13911112222" not in stored.comment_sealed
    view = (await intake.client.get(f"/v1/cases/{case_id}", headers=HOTLINE)).json()
    assert view["visits"][0]["comment"] == said  # the hotline made the call: it reads what was said
