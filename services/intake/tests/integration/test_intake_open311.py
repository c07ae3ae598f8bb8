"""The Open311 GeoReport v2 façade round-trips a request created through it, with errors in Open311's format."""

from __future__ import annotations

import pytest

from caseflow_common import topics
from caseflow_common.contracts import dispatch as d
from caseflow_common.testing import TEST_OPEN311_KEY, wait_for

BASE = "/open311/v2"


async def test_an_open311_request_round_trips_and_follows_the_case(intake, feeder, clock):
    services = (await intake.client.get(f"{BASE}/services.json")).json()
    assert {"service_code": "urban.garbage", "service_name": "生活垃圾清运不及时"}.items() <= next(
        s for s in services if s["service_code"] == "urban.garbage"
    ).items() or services
    definition = await intake.client.get(f"{BASE}/services/urban.garbage.json")
    assert definition.status_code == 200 and definition.json()["service_code"] == "urban.garbage"

    form = {
        "api_key": TEST_OPEN311_KEY,
        "service_code": "urban.garbage",
        "lat": "23.121",
        "long": "113.238",
        "address_string": "沙面北街 1 号",
        "description": "垃圾桶满了",
        "first_name": "赵",
        "last_name": "六",
        "phone": "13800138000",
    }
    created = await intake.client.post(f"{BASE}/requests.json", data=form)
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]

    one = (await intake.client.get(f"{BASE}/requests/{request_id}.json")).json()
    assert len(one) == 1 and one[0]["status"] == "open" and one[0]["service_code"] == "urban.garbage"
    # Published at street level: the street's code and name, never the address given, coordinates rounded.
    assert one[0]["address_id"] == "440103001" and one[0]["address"] == "荔湾区沙面街道" and one[0]["lat"] == 23.121
    assert "13800138000" not in str(one) and "赵六" not in str(one)

    await feeder.send(
        topics.DISPATCH, request_id, d.CaseDispatched(unit="440103-CG", unit_name="荔湾区城管局", at=clock())
    )
    await feeder.send(
        topics.DISPATCH, request_id, d.CaseReplied(unit="440103-CG", at=clock(), content="ok", resolved=True)
    )
    await feeder.send(topics.DISPATCH, request_id, d.CaseClosed(unit="440103-CG", at=clock()))

    async def closed():
        rows = (await intake.client.get(f"{BASE}/requests.json", params={"status": "closed"})).json()
        return rows if rows else None

    rows = await wait_for(closed)
    assert rows[0]["service_request_id"] == request_id
    assert rows[0]["agency_responsible"] == "荔湾区城管局" and "已办结" in rows[0]["status_notes"]
    assert (await intake.client.get(f"{BASE}/requests.json", params={"status": "open"})).json() == []
    by_code = await intake.client.get(
        f"{BASE}/requests.json",
        params={
            "service_code": "urban.garbage",
            "start_date": "2026-11-19T00:00:00+08:00",
            "end_date": "2026-11-21T00:00:00+08:00",
            "service_request_id": request_id,
        },
    )
    assert [r["service_request_id"] for r in by_code.json()] == [request_id]
    assert (await intake.client.get(f"{BASE}/requests.json", params={"service_code": "traffic.order"})).json() == []


async def test_open311_errors_come_as_an_array_naming_the_problem(intake):
    bad_key = await intake.client.post(f"{BASE}/requests.json", data={"api_key": "nope", "service_code": "x"})
    assert bad_key.status_code == 403 and bad_key.json()[0]["code"] == 403
    unknown = await intake.client.post(
        f"{BASE}/requests.json",
        data={"api_key": TEST_OPEN311_KEY, "service_code": "no.such", "description": "x", "address_id": "440103"},
    )
    assert unknown.status_code == 400
    assert any(e["description"].startswith("service_code:") for e in unknown.json())
    missing = await intake.client.post(f"{BASE}/requests.json", data={"api_key": TEST_OPEN311_KEY})
    assert missing.status_code == 400 and "service_code" in missing.json()[0]["description"]
    nothing = await intake.client.get(f"{BASE}/requests/GZ-20200101-000001.json")
    assert nothing.status_code == 404 and nothing.json()[0]["code"] == 404
    assert (await intake.client.get(f"{BASE}/services/no.such.json")).status_code == 404
    assert (await intake.client.get(f"{BASE}/requests.json", params={"status": "pending"})).status_code == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("field", ["start_date", "end_date"])
@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_a_date_filter_with_no_utc_equivalent_is_open311s_400_naming_it(intake, fmt, field, when):
    r = await intake.client.get(f"{BASE}/requests.{fmt}", params={field: when})
    assert r.status_code == 400, r.text
    assert field in r.text and "representable" in r.text
