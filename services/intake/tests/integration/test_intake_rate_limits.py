"""A client that sends more than its burst is refused with 429 and Retry-After; under the limit it gets its 201."""

from __future__ import annotations

import pytest_asyncio
from prometheus_client import REGISTRY

from caseflow_common.auth import Role
from caseflow_common.testing import TEST_OPEN311_KEY, auth_header, running, service_settings
from intake.bootstrap import build
from intake.settings import Settings

HOTLINE = auth_header(Role.HOTLINE)
GRID = auth_header(Role.GRID)
OPEN311 = "/open311/v2/requests.json"


def _limited(route: str) -> float:
    return REGISTRY.get_sample_value("caseflow_rate_limited_total", {"service": "intake", "route": route}) or 0.0


@pytest_asyncio.fixture
async def strict(broker, topic_prefix, databases, clock):
    """intake allowing a burst of 3 writes (2 Open311 POSTs) and then one a minute."""
    settings = service_settings(
        Settings,
        broker=broker,
        prefix=topic_prefix,
        database_url=await databases.new_url("intake_limits"),
        rate_limit_per_minute=1,
        rate_limit_burst=3,
        open311_rate_limit_per_minute=1,
        open311_rate_limit_burst=2,
    )
    async with running(build, settings, clock=clock) as svc:
        yield svc


async def test_a_burst_over_the_limit_is_refused_with_retry_after_and_the_error_envelope(
    strict, make_hotline, make_grid
):
    before = _limited("/v1/hotline/reports")
    under = [await strict.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE) for _ in range(3)]
    assert [r.status_code for r in under] == [201, 201, 201]
    over = await strict.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE)
    assert over.status_code == 429
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert over.json()["error"]["code"] == "too_many_requests"
    assert _limited("/v1/hotline/reports") == before + 1
    # Another principal and another route keep their own buckets.
    assert (await strict.client.post("/v1/grid/reports", json=make_grid(), headers=GRID)).status_code == 201


async def test_return_visits_are_limited_per_route_too(strict):
    answers = [
        (await strict.client.post("/v1/cases/GZ-20261120-999999/visits", json={"contacted": False}, headers=HOTLINE))
        for _ in range(4)
    ]
    assert [r.status_code for r in answers] == [404, 404, 404, 429]
    assert "Retry-After" in answers[-1].headers


async def test_open311_posts_are_limited_per_api_key_and_answered_in_open311_format(strict):
    form = {"api_key": TEST_OPEN311_KEY, "service_code": "urban.garbage", "address_id": "440103001", "description": "x"}
    assert [(await strict.client.post(OPEN311, data=form)).status_code for _ in range(2)] == [201, 201]
    over = await strict.client.post(OPEN311, data=form)
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    assert over.json()[0]["code"] == 429
    # Malformed posts from a known key count as well; an unknown key is counted by address, apart from the key.
    assert (await strict.client.post(OPEN311, data={"api_key": TEST_OPEN311_KEY})).status_code == 429
    guesses = [
        (await strict.client.post(OPEN311, data={**form, "api_key": f"guess-{i}"})).status_code for i in range(3)
    ]
    assert guesses == [403, 403, 429]


async def test_the_default_limits_let_an_ordinary_day_through(intake, make_hotline):
    answers = [await intake.client.post("/v1/hotline/reports", json=make_hotline(), headers=HOTLINE) for _ in range(20)]
    assert {r.status_code for r in answers} == {201}
