"""Third-party Open311 clients from PyPI drive intake's façade as they would a city's: ``georeport`` (0.3.1) and
``three`` (0.8.0), over HTTP (they use requests) to intake served by uvicorn on a free loopback port, on SQLite and
PostgreSQL.

georeport reads (services, definitions, requests) in JSON and XML but cannot post; three posts and reads in both.
three is Python 2 code (2013); ``three_client`` gives it back the three Python 2 behaviours it leans on, and nothing
else is changed in either library.
"""

from __future__ import annotations

import asyncio
import itertools
import types
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar
from xml.etree import ElementTree

import pytest
import pytest_asyncio
import uvicorn
from georeport import GeoReport

from caseflow_common.auth import Role
from caseflow_common.testing import TEST_OPEN311_KEY, auth_header, free_port, wait_for

T = TypeVar("T")
NOISE = "env.noise.construction"
MEDIA = "https://img.example.org/reports/piling-at-night.jpg"
EMAIL = "zhao.liu@example.com"


@pytest_asyncio.fixture
async def endpoint(intake) -> AsyncIterator[str]:
    """intake's app (its runtime already started on the test database and broker) served by uvicorn on loopback."""
    config = uvicorn.Config(
        intake.app, host="127.0.0.1", port=free_port(), lifespan="off", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await wait_for(started, timeout=15)
    try:
        yield f"http://127.0.0.1:{config.port}/open311/v2"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=15)


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A client's blocking call, in a thread, while the event loop serves it."""
    return await asyncio.to_thread(fn, *args, **kwargs)


class _Element(ElementTree.Element):
    def getchildren(self) -> list[ElementTree.Element]:  # removed from ElementTree in Python 3.9
        return list(self)


class _Py2Dict(dict):  # type: ignore[type-arg]
    def keys(self) -> list[Any]:  # type: ignore[override]  # Python 2: a list, so keys()[0] works
        return list(super().keys())


@pytest.fixture
def three_client(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``three.Three`` made to run on Python 3.11, by giving it back what it needs of Python 2:
    - ``from itertools import ifilter`` (Python 2's lazy filter) fails at import: ``filter`` stands in for it;
    - its XML reader, relaxml, walks elements with ``Element.getchildren()`` (gone since 3.9): relaxml's parser
      builds elements that still have it;
    - ``Three.convert`` takes ``content.keys()[0]`` of relaxml's answer: that answer's ``keys()`` is a list again.
    """
    monkeypatch.setattr(itertools, "ifilter", filter, raising=False)
    import relaxml.converter
    import three.core

    def fromstring(text: bytes) -> ElementTree.Element:
        parser = ElementTree.XMLParser(target=ElementTree.TreeBuilder(element_factory=_Element))
        return ElementTree.fromstring(text, parser=parser)

    monkeypatch.setattr(relaxml.converter, "etree", types.SimpleNamespace(fromstring=fromstring))
    monkeypatch.setattr(three.core, "xml", lambda content: _Py2Dict(relaxml.converter.xml(content)))
    return three.core.Three


async def test_georeport_lists_services_and_definitions_and_reads_requests_in_both_formats(
    intake, endpoint, three_client
):
    as_json, as_xml = GeoReport(endpoint), GeoReport(endpoint, output_format="xml")
    services = await call(as_json.get_service_list)
    assert NOISE in [s["service_code"] for s in services]
    xml_services = await call(as_xml.get_service_list)
    assert [s["service_code"] for s in xml_services] == [s["service_code"] for s in services]
    definition = await call(as_xml.get_service_definition, NOISE)
    codes = [a["code"] for a in definition["attributes"]["attribute"]]
    assert codes == [a["code"] for a in (await call(as_json.get_service_definition, NOISE))["attributes"]]
    assert codes == ["noise_time", "noise_source", "site_name"]

    # georeport has no POST; three posts the request (see the next test for three's own reads). With a phone: a
    # request without one is anonymous, and anonymous requests are not listed publicly.
    posted = await call(
        three_client(endpoint, api_key=TEST_OPEN311_KEY).post,
        NOISE,
        address_id="440103001",
        phone="13800138000",
        description="工地夜里打桩",
        media_url=MEDIA,
        email=EMAIL,
        **{"attribute[noise_time]": "night"},
    )
    request_id = posted[0]["service_request_id"]

    one = await call(as_json.get_service_request, request_id)
    one_xml = await call(as_xml.get_service_request, request_id)
    assert one["service_request_id"] == one_xml["service_request_id"] == request_id
    assert one["status"] == one_xml["status"] == "open"
    assert one["media_url"] == one_xml["media_url"] == MEDIA
    open_ones = await call(as_json.get_service_requests, status="Open", service_code=NOISE)
    assert [r["service_request_id"] for r in open_ones] == [request_id]
    open_xml = await call(as_xml.get_service_requests, status="Open", service_code=NOISE)
    assert open_xml["service_request_id"] == request_id  # xmltodict: a lone <request> is one dict
    assert await call(as_json.get_service_requests, status="closed", service_code=NOISE) == []


async def test_three_posts_a_request_with_attributes_email_and_media_and_reads_it_back_in_both_formats(
    intake, endpoint, three_client
):
    client = three_client(endpoint, api_key=TEST_OPEN311_KEY)
    found = await call(client.discovery)
    assert found["endpoints"][0]["url"] == endpoint
    assert NOISE in [s["service_code"] for s in await call(client.services)]
    assert [a["code"] for a in (await call(client.services, NOISE))["attributes"]][:1] == ["noise_time"]

    posted = await call(
        client.post,
        NOISE,
        address="沙面北街 1 号",
        address_id="440103001",
        name="赵 六",
        phone="13800138000",
        email=EMAIL,
        device_id="device-7f3a",
        account_id="acct-0042",
        description="工地夜里打桩，切割声很大",
        media_url=MEDIA,
        **{
            "attribute[noise_time]": "night",
            "attribute[noise_source][]": ["piling", "cutting"],
            "attribute[site_name]": "沙面二期工地",
        },
    )
    assert client.post_response.status_code == 201, client.post_response.text
    request_id = posted[0]["service_request_id"]
    assert posted[0]["account_id"] == "acct-0042"

    one = (await call(client.request, request_id))[0]
    assert one["service_code"] == NOISE and one["status"] == "open" and one["media_url"] == MEDIA
    assert "赵六" not in str(one) and EMAIL not in str(one) and "13800138000" not in str(one)
    listed = await call(client.requests, status="Open")
    assert request_id in [r["service_request_id"] for r in listed]

    client.configure(format="xml")
    assert (await call(client.request, request_id))["request"]["media_url"] == MEDIA
    listed_xml = (await call(client.requests, NOISE, status="Open"))["request"]
    assert listed_xml["service_request_id"] == request_id  # relaxml: a lone <request> is one dict
    assert (await call(client.discovery))["endpoints"]["endpoint"]["url"] == endpoint
    refused = await call(client.post, NOISE, address_id="440103001", description="x", api_key="not-a-key")
    assert client.post_response.status_code == 403 and refused["error"]["code"] == "403"

    # What three sent is all kept: the hotline, which takes Open311's requests in, reads it back whole.
    view = (await intake.client.get(f"/v1/cases/{request_id}", headers=auth_header(Role.HOTLINE))).json()
    assert view["attributes"] == {
        "noise_time": ["night"],
        "noise_source": ["piling", "cutting"],
        "site_name": ["沙面二期工地"],
    }
    assert view["media_url"] == MEDIA
    assert view["requester"]["email"] == EMAIL and view["requester"]["account_id"] == "acct-0042"
    assert view["requester"]["name"] == "赵六" and view["requester"]["device_id"] == "device-7f3a"
