"""Open311 as GeoReport v2 clients call it: both formats on every resource, discovery, api_key in the query string,
any-case and listed statuses, and the optional fields of a POST kept (the personal ones never published)."""

from __future__ import annotations

from urllib.parse import urlencode
from xml.etree import ElementTree

from sqlalchemy import select

from caseflow_common.auth import Role
from caseflow_common.testing import TEST_OPEN311_KEY, auth_header
from intake.orm import cases, requesters

BASE = "/open311/v2"
HOTLINE = auth_header(Role.HOTLINE)
EMAIL, DEVICE, ACCOUNT = "zhao.liu@example.com", "device-7f3a", "acct-0042"
MEDIA = "https://img.example.org/reports/noise-site.jpg"


def noise_request(**overrides: str) -> dict[str, str]:
    """A construction-noise request answering its service definition, with every optional field."""
    form = {
        "api_key": TEST_OPEN311_KEY,
        "service_code": "env.noise.construction",
        "address_id": "440103001",
        "address_string": "沙面北街 1 号",
        "description": "工地夜里打桩",
        "attribute[noise_time]": "night",
        "attribute[site_name]": "沙面二期工地",
        "email": EMAIL,
        "device_id": DEVICE,
        "account_id": ACCOUNT,
        "first_name": "赵",
        "last_name": "六",
        "phone": "13800138000",
        "media_url": MEDIA,
    }
    form.update(overrides)
    return form


def xml_of(response) -> ElementTree.Element:
    assert response.headers["content-type"].startswith("text/xml"), response.headers["content-type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(response.content)


def texts(element: ElementTree.Element) -> dict[str, str | None]:
    return {child.tag: child.text for child in element}


async def test_every_open311_resource_answers_in_xml_what_it_answers_in_json(intake):
    services_json = (await intake.client.get(f"{BASE}/services.json")).json()
    services_xml = xml_of(await intake.client.get(f"{BASE}/services.xml"))
    assert services_xml.tag == "services"
    assert [s.findtext("service_code") for s in services_xml.iter("service")] == [
        s["service_code"] for s in services_json
    ]
    noise = next(s for s in services_xml.iter("service") if s.findtext("service_code") == "env.noise.construction")
    assert noise.findtext("metadata") == "true" and noise.findtext("type") == "realtime"

    definition = xml_of(await intake.client.get(f"{BASE}/services/env.noise.construction.xml"))
    assert definition.tag == "service_definition"
    attributes = definition.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["noise_time", "noise_source", "site_name"]
    assert [v.findtext("key") for v in attributes[0].findall("values/value")] == ["night", "noon", "day"]
    assert attributes[0].findtext("required") == "true" and attributes[0].findtext("datatype") == "singlevaluelist"

    posted = xml_of(await intake.client.post(f"{BASE}/requests.xml", data=noise_request()))
    assert posted.tag == "service_requests"
    request_id = posted.findtext("request/service_request_id")
    assert request_id and posted.findtext("request/account_id") == ACCOUNT

    one_json = (await intake.client.get(f"{BASE}/requests/{request_id}.json")).json()[0]
    one_xml = xml_of(await intake.client.get(f"{BASE}/requests/{request_id}.xml"))
    fields = texts(one_xml.find("request"))
    assert fields["service_request_id"] == request_id and fields["status"] == "open"
    assert fields["description"] == one_json["description"] and fields["media_url"] == MEDIA
    assert fields["zipcode"] is None  # an empty element, as GeoReport v2 writes a missing value
    listed = xml_of(await intake.client.get(f"{BASE}/requests.xml", params={"status": "Open"}))
    assert request_id in [r.findtext("service_request_id") for r in listed.iter("request")]

    for path in ("/open311/discovery", f"{BASE}/discovery"):
        found = (await intake.client.get(f"{path}.json")).json()
        endpoint = found["endpoints"][0]
        assert endpoint["url"] == "http://test/open311/v2" and endpoint["formats"] == ["text/xml", "application/json"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2" and found["changeset"]
        found_xml = xml_of(await intake.client.get(f"{path}.xml"))
        assert found_xml.findtext("endpoints/endpoint/url") == "http://test/open311/v2"
        assert [f.text for f in found_xml.findall("endpoints/endpoint/formats/format")] == endpoint["formats"]


async def test_open311_errors_come_in_the_format_the_client_asked_for(intake):
    refused = await intake.client.post(f"{BASE}/requests.xml", data=noise_request(api_key="nope"))
    assert refused.status_code == 403
    error = xml_of(refused)
    assert error.tag == "errors" and error.findtext("error/code") == "403"
    missing = xml_of(await intake.client.get(f"{BASE}/services/no.such.xml"))
    assert missing.findtext("error/code") == "404" and "no.such" in missing.findtext("error/description")
    bad = await intake.client.post(f"{BASE}/requests.xml", data={"api_key": TEST_OPEN311_KEY})
    assert bad.status_code == 400 and "service_code" in xml_of(bad).findtext("error/description")
    pending = await intake.client.get(f"{BASE}/requests.xml", params={"status": "pending"})
    assert pending.status_code == 400 and xml_of(pending).findtext("error/description").startswith("status:")
    as_json = await intake.client.get(f"{BASE}/requests.json", params={"status": "pending"})
    assert as_json.status_code == 400 and as_json.json()[0]["description"].startswith("status:")


async def test_the_openapi_document_gives_open311_routes_their_400_and_never_a_422(intake):
    spec = (await intake.client.get("/openapi.json")).json()
    operations = [(p, op) for p, item in spec["paths"].items() if "/open311/" in p for op in item.values()]
    assert len(operations) >= 8
    for path, op in operations:
        assert "422" not in op["responses"], path
        if path.endswith(("/requests.json", "/requests.xml")):
            assert "400" in op["responses"], path


async def test_the_api_key_may_come_in_the_query_string(intake):
    form = noise_request()
    key = form.pop("api_key")
    created = await intake.client.post(f"{BASE}/requests.json", params={"api_key": key}, data=form)
    assert created.status_code == 201, created.text
    without = await intake.client.post(f"{BASE}/requests.json", data=form)
    assert without.status_code == 403 and without.json()[0]["code"] == 403


async def test_the_status_filter_takes_any_case_and_several_statuses(intake, feeder, clock):
    created = await intake.client.post(f"{BASE}/requests.json", data=noise_request())
    request_id = created.json()[0]["service_request_id"]

    async def listed(**params) -> list[str]:
        r = await intake.client.get(f"{BASE}/requests.json", params=params)
        assert r.status_code == 200, r.text
        return [x["service_request_id"] for x in r.json()]

    assert request_id in await listed(status="Open")
    assert request_id in await listed(status="OPEN")
    assert request_id not in await listed(status="Closed")
    assert request_id in await listed(status="closed,Open")
    assert request_id in await listed(status=["closed", "open"])  # declared twice
    assert await listed(service_request_id=f"{request_id},GZ-20200101-000001") == [request_id]
    too_many = await intake.client.get(f"{BASE}/requests.json", params={"service_request_id": ",".join(["x"] * 201)})
    assert too_many.status_code == 400 and too_many.json()[0]["description"].startswith("service_request_id:")


async def test_the_optional_fields_are_kept_and_the_personal_ones_never_published(intake, intake_topic):
    form = noise_request(**{"attribute[noise_source][]": "piling"})
    body = list(form.items()) + [("attribute[noise_source][]", "trucks")]
    created = await intake.client.post(
        f"{BASE}/requests.json", content=urlencode(body), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert created.status_code == 201, created.text
    request_id = created.json()[0]["service_request_id"]
    assert created.json()[0]["account_id"] == ACCOUNT

    # The hotline (which takes Open311's requests in) reads all of it back.
    view = (await intake.client.get(f"/v1/cases/{request_id}", headers=HOTLINE)).json()
    assert view["media_url"] == MEDIA
    assert view["attributes"] == {
        "noise_time": ["night"],
        "site_name": ["沙面二期工地"],
        "noise_source": ["piling", "trucks"],
    }
    assert {k: view["requester"][k] for k in ("email", "device_id", "account_id", "name", "phone")} == {
        "email": EMAIL,
        "device_id": DEVICE,
        "account_id": ACCOUNT,
        "name": "赵六",
        "phone": "13800138000",
    }
    # The public sees the matter and its photo, never who asked.
    public = await intake.client.get(f"{BASE}/requests/{request_id}.json")
    assert public.json()[0]["media_url"] == MEDIA
    for secret in (EMAIL, DEVICE, ACCOUNT, "赵六", "13800138000"):
        assert secret not in public.text
        assert secret not in (await intake.client.get(f"{BASE}/requests.xml")).text
    # At rest the contacts are encrypted; downstream they do not travel at all.
    async with intake.runtime.sessions() as s:
        row = (await s.execute(select(requesters).where(requesters.c.case_id == request_id))).one()
        case = (await s.execute(select(cases.c.media_url).where(cases.c.case_id == request_id))).one()
    assert case.media_url == MEDIA
    stored = " ".join(str(v) for v in row)
    assert row.email_encrypted and all(secret not in stored for secret in (EMAIL, DEVICE, ACCOUNT))
    envelopes = await intake_topic.read_until(lambda es: any(e.case_id == request_id for e in es))
    received = next(e for e in envelopes if e.case_id == request_id)
    assert received.event_type == "CaseReceived"
    raw = received.to_bytes().decode()
    assert all(secret not in raw for secret in (EMAIL, DEVICE, ACCOUNT))


async def test_answers_the_service_definition_refuses_are_each_named(intake):
    refused = await intake.client.post(
        f"{BASE}/requests.json",
        data=noise_request(
            **{"attribute[noise_time]": "", "attribute[noise_source][]": "fireworks", "attribute[colour]": "red"}
        ),
    )
    assert refused.status_code == 400
    named = {e["description"].split(":")[0] for e in refused.json()}
    assert named == {"attribute[noise_time]", "attribute[noise_source]", "attribute[colour]"}, refused.json()
    for field, value in (("email", "not-an-address"), ("media_url", "ftp://example.org/a.jpg")):
        bad = await intake.client.post(f"{BASE}/requests.json", data=noise_request(**{field: value}))
        assert bad.status_code == 400 and bad.json()[0]["description"].startswith(f"{field}:"), bad.text


async def test_a_media_url_that_carries_personal_data_is_kept_but_not_published(intake):
    leaky = "https://img.example.org/upload?owner=zhao.liu@example.com&tel=13800138000"
    created = await intake.client.post(f"{BASE}/requests.json", data=noise_request(media_url=leaky))
    request_id = created.json()[0]["service_request_id"]
    public = (await intake.client.get(f"{BASE}/requests/{request_id}.json")).json()[0]
    assert public["media_url"] is None
    assert (await intake.client.get(f"/v1/cases/{request_id}", headers=HOTLINE)).json()["media_url"] == leaky


async def test_the_xml_holds_no_character_xml_cannot_carry(intake):
    created = await intake.client.post(
        f"{BASE}/requests.json", data=noise_request(description="工地\x01夜里\x1b打桩 <b>&amp;</b>")
    )
    request_id = created.json()[0]["service_request_id"]
    one = xml_of(await intake.client.get(f"{BASE}/requests/{request_id}.xml"))
    assert one.findtext("request/description") == "工地\ufffd夜里\ufffd打桩 <b>&amp;</b>"
