"""The public Open311 listing shows public categories only, without personal data even typed into the description,
at street level; departments get the description redacted while the hotline keeps it as given."""

from __future__ import annotations

import pytest_asyncio
from sqlalchemy import select

from caseflow_common.auth import Role
from caseflow_common.contracts.intake import CaseReceived
from caseflow_common.testing import TEST_OPEN311_KEY, auth_header, running, service_settings
from intake.bootstrap import build
from intake.orm import cases
from intake.settings import Settings

BASE = "/open311/v2"
HOTLINE = auth_header(Role.HOTLINE)
STREET, STREET_NAME = "440103001", "荔湾区沙面街道"
SECRETS = [
    "张三",
    "13812345678",
    "138 1234 5678",
    "87654321",
    "11010519491231002X",
    "zhangsan@example.com",
    "李小四",
    "1 号",
    "302",
    "5号",
    "赵六",
    "13900139000",
    "23.121456",
]
TYPED = (
    "我是张三，楼下垃圾三天没人清运，住沙面北街 1 号 302 室，请回电 138 1234 5678 或 020-87654321，"
    "身份证 11010519491231002X，邮箱 zhangsan@example.com"
)


async def _report(intake, make_hotline, **overrides) -> str:
    r = await intake.client.post("/v1/hotline/reports", json=make_hotline(**overrides), headers=HOTLINE)
    assert r.status_code == 201, r.text
    return str(r.json()["case_id"])


async def _public_and_private_cases(intake, make_hotline) -> tuple[str, str, str]:
    public = await _report(
        intake,
        make_hotline,
        description=TYPED,
        location={
            "region_code": "440103001001-01",
            "address": "沙面北街 1 号 302 室",
            "lat": 23.121456,
            "lon": 113.238789,
        },
    )
    private = await _report(
        intake,
        make_hotline,
        category="care.severe_mental_disorder",
        description="我弟弟李小四有严重精神障碍，住员村二横路5号402",
    )
    form = {
        "api_key": TEST_OPEN311_KEY,
        "service_code": "env.noise.restaurant",
        "address_id": "440103001001-02",
        "address_string": "沙面南街 5号",
        "description": "我叫赵六，楼下大排档每晚吵到两点，电话13900139000",
        "first_name": "赵",
        "last_name": "六",
        "phone": "13900139000",
    }
    created = await intake.client.post(f"{BASE}/requests.json", data=form)
    assert created.status_code == 201, created.text
    return public, private, str(created.json()[0]["service_request_id"])


async def test_the_public_listing_shows_public_categories_only_and_no_personal_data(intake, make_hotline):
    public, private, via_open311 = await _public_and_private_cases(intake, make_hotline)
    listing = await intake.client.get(f"{BASE}/requests.json")
    assert listing.status_code == 200
    rows = {r["service_request_id"]: r for r in listing.json()}
    assert set(rows) == {public, via_open311}
    text = listing.content.decode()
    assert [s for s in SECRETS if s in text] == []
    assert rows[public]["address"] == STREET_NAME and rows[public]["address_id"] == STREET
    assert (rows[public]["lat"], rows[public]["long"]) == (23.121, 113.239)
    assert "垃圾三天没人清运" in rows[public]["description"] and "[电话]" in rows[public]["description"]
    assert "吵到两点" in rows[via_open311]["description"]

    one = await intake.client.get(f"{BASE}/requests/{public}.json")
    assert one.status_code == 200 and [s for s in SECRETS if s in one.content.decode()] == []
    hidden = await intake.client.get(f"{BASE}/requests/{private}.json")
    assert hidden.status_code == 404
    asked = await intake.client.get(f"{BASE}/requests.json", params={"service_code": "care.severe_mental_disorder"})
    assert asked.json() == []
    by_id = await intake.client.get(f"{BASE}/requests.json", params={"service_request_id": f"{private},{public}"})
    assert [r["service_request_id"] for r in by_id.json()] == [public]


async def test_departments_get_the_description_redacted_and_the_hotline_keeps_it_as_given(
    intake, intake_topic, make_hotline
):
    case_id = await _report(intake, make_hotline, description=TYPED)
    envs = await intake_topic.read_until(lambda es: any(e.case_id == case_id for e in es))
    received = next(e for e in envs if e.case_id == case_id).payload_as(CaseReceived)
    for secret in ("张三", "138 1234 5678", "87654321", "11010519491231002X", "zhangsan@example.com"):
        assert secret not in received.description
    assert "沙面北街 1 号 302 室" in received.description  # departments need the address to go there
    assert received.requester is not None and received.requester.phone == "138****5678"
    raw_topic = b"".join(intake_topic.raw)
    for secret in ("13812345678", "138 1234 5678", "张三", "zhangsan@example.com", "11010519491231002X"):
        assert secret.encode() not in raw_topic

    view = (await intake.client.get(f"/v1/cases/{case_id}", headers=HOTLINE)).json()
    assert view["description"] == TYPED
    async with intake.runtime.sessions() as s:
        row = (await s.execute(select(cases).where(cases.c.case_id == case_id))).one()
    assert row.description == received.description
    stored = " ".join(str(value) for value in row)
    assert "zhangsan@example.com" not in stored and "11010519491231002X" not in stored
    assert intake.runtime.context.vault.decrypt(row.description_sealed) == TYPED


async def test_a_description_without_personal_data_is_kept_as_it_is(intake, make_hotline):
    case_id = await _report(intake, make_hotline, description="小区门口垃圾堆放三天无人清运")
    async with intake.runtime.sessions() as s:
        row = (await s.execute(select(cases).where(cases.c.case_id == case_id))).one()
    assert row.description == "小区门口垃圾堆放三天无人清运" and row.description_sealed is None


@pytest_asyncio.fixture
async def unlisted(broker, topic_prefix, databases, clock):
    """intake with the public listing turned off."""
    settings = service_settings(
        Settings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("intake_unlisted"),
        open311_public_listing=False,
    )
    async with running(build, settings, clock=clock) as svc:
        yield svc


async def test_with_the_listing_turned_off_requests_are_not_found_but_submitting_still_works(unlisted, make_hotline):
    case_id = await _report(unlisted, make_hotline)
    for path in (f"{BASE}/requests.json", f"{BASE}/requests/{case_id}.json"):
        r = await unlisted.client.get(path)
        assert r.status_code == 404, path
        assert r.json()[0]["code"] == 404 and "not offered" in r.json()[0]["description"]
    assert (await unlisted.client.get(f"{BASE}/services.json")).status_code == 200
    form = {"api_key": TEST_OPEN311_KEY, "service_code": "urban.garbage", "address_id": "440103001", "description": "x"}
    assert (await unlisted.client.post(f"{BASE}/requests.json", data=form)).status_code == 201
