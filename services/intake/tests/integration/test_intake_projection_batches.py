"""A consumed batch moves the status projection as its events one by one would: its updates and steps are written
at commit, in one statement per shape, and the merged requests it carries along read the batch's statuses."""

from __future__ import annotations

from datetime import UTC, datetime

from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.contracts import dispatch as d
from caseflow_common.contracts.escalation import ClocksUpdated, ClockView
from caseflow_common.events import Actor, Payload, new_event
from caseflow_common.testing import auth_header, signed

HOTLINE = auth_header(Role.HOTLINE)
UNIT = "440103-CG"
REPLY = "已安排清运，垃圾已清理完毕"
DEADLINE = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
SYSTEM = Actor(role="system", id="test")


async def test_one_batch_of_a_case_s_whole_handling_leaves_the_projection_and_its_followers_as_one_by_one(
    intake, make_hotline, topic_prefix, clock
):
    main = (await intake.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE)).json()
    follower_body = make_hotline(requester={"name": "王五", "phone": "13700001111"})
    follower = (await intake.client.post("/v1/hotline/reports", json=follower_body, headers=HOTLINE)).json()
    assert follower["merged_into"] == main["case_id"]

    def record(offset: int, topic: str, payload: Payload, producer: str) -> tuple:
        env = new_event(payload, case_id=main["case_id"], producer=producer, actor=SYSTEM, occurred_at=clock())
        return (topic_prefix + topic, 0, offset, main["case_id"].encode(), signed(env).to_bytes())

    clocks = ClocksUpdated(clocks=[ClockView(kind="handling", deadline=DEADLINE, state="running", unit=UNIT)])
    batch = [
        record(0, topics.DISPATCH, d.CaseDispatched(unit=UNIT, unit_name="荔湾区城管局", at=clock()), "dispatch"),
        record(1, topics.ESCALATION, clocks, "escalation"),
        record(2, topics.DISPATCH, d.CaseAccepted(unit=UNIT, at=clock.advance(hours=1)), "dispatch"),
        record(
            3,
            topics.DISPATCH,
            d.CaseReplied(unit=UNIT, at=clock.advance(hours=2), content=REPLY, resolved=True),
            "dispatch",
        ),
        record(4, topics.DISPATCH, d.CaseClosed(unit=UNIT, at=clock.advance(hours=1), resolved=True), "dispatch"),
    ]
    await intake.runtime.consumer.process_batch(batch)

    view = (await intake.client.get(f"/v1/cases/{main['case_id']}", headers=HOTLINE)).json()
    assert view["status"] == "closed" and view["unit"] == UNIT and view["unit_name"] == "荔湾区城管局"
    assert [s["event_type"] for s in view["steps"]] == [
        "CaseReceived",
        "CaseDispatched",
        "CaseAccepted",
        "CaseReplied",
        "CaseClosed",
    ]
    assert view["reply"]["content"] == REPLY and view["reply"]["resolved"] is True
    assert view["deadlines"][0]["deadline"].startswith("2026-11-27T09:30")

    taken_over = (await intake.client.get(f"/v1/cases/{follower['case_id']}", headers=HOTLINE)).json()
    assert taken_over["status"] == "closed" and taken_over["unit"] == UNIT
    assert taken_over["reply"]["content"] == REPLY
    steps = [(s["event_type"], s["note"]) for s in taken_over["steps"]]
    assert steps[-2:] == [("CaseReplied", REPLY), ("CaseClosed", None)]

    await intake.runtime.consumer.process_batch(batch)  # the same batch again: nothing applied twice
    again = (await intake.client.get(f"/v1/cases/{main['case_id']}", headers=HOTLINE)).json()
    assert again["steps"] == view["steps"] and again["status"] == "closed"


async def test_a_batch_carries_along_only_the_requests_merged_into_the_case_that_closed(
    intake, make_hotline, topic_prefix, clock
):
    async def post(body):
        return (await intake.client.post("/v1/hotline/reports", json=body, headers=HOTLINE)).json()

    other_place = {"region_code": "440103001001-02", "address": "沙面南街 2 号"}
    closing, waiting = await post(make_hotline()), await post(make_hotline(location=other_place))
    closing_follower = await post(make_hotline(requester={"name": "王五", "phone": "13700001111"}))
    waiting_follower = await post(
        make_hotline(location=other_place, requester={"name": "赵六", "phone": "13700002222"})
    )
    assert (closing_follower["merged_into"], waiting_follower["merged_into"]) == (
        closing["case_id"],
        waiting["case_id"],
    )

    def record(offset: int, case_id: str, payload: Payload) -> tuple:
        env = new_event(payload, case_id=case_id, producer="dispatch", actor=SYSTEM, occurred_at=clock())
        return (topic_prefix + topics.DISPATCH, 0, offset, case_id.encode(), signed(env).to_bytes())

    main, other = closing["case_id"], waiting["case_id"]
    await intake.runtime.consumer.process_batch(
        [
            record(0, main, d.CaseDispatched(unit=UNIT, unit_name="荔湾区城管局", at=clock())),
            record(1, other, d.CaseDispatched(unit=UNIT, unit_name="荔湾区城管局", at=clock())),
            record(2, other, d.CaseAccepted(unit=UNIT, at=clock.advance(minutes=5))),
            record(3, main, d.CaseReplied(unit=UNIT, at=clock.advance(hours=1), content=REPLY, resolved=True)),
            record(4, main, d.CaseClosed(unit=UNIT, at=clock.advance(hours=1), resolved=True)),
        ]
    )

    async def view(case_id: str) -> dict:
        return (await intake.client.get(f"/v1/cases/{case_id}", headers=HOTLINE)).json()

    carried, left = await view(closing_follower["case_id"]), await view(waiting_follower["case_id"])
    assert carried["status"] == "closed" and carried["reply"]["content"] == REPLY
    assert [s["event_type"] for s in carried["steps"]][-2:] == ["CaseReplied", "CaseClosed"]
    assert left["status"] == "merged" and left["reply"] is None
    assert [s["event_type"] for s in left["steps"]] == ["CaseReceived", "CaseMerged"]
    assert (await view(other))["status"] == "accepted"
