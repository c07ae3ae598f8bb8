"""What every service's HTTP surface shares: auth, the error shape, the body limit, health and metrics."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Annotated

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from caseflow_common.auth import Principal, Role, TokenCodec, require
from caseflow_common.db import new_metadata
from caseflow_common.errors import ApiError
from caseflow_common.http import PageParams, page_params
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from caseflow_common.settings import CommonSettings
from caseflow_common.testing import TEST_SECRET, auth_header
from caseflow_common.uow import UnitOfWork


class Thing(BaseModel):
    name: str = Field(min_length=1, max_length=5)
    size: int = Field(ge=0)


def _app(tmp_path, max_body: int = 1024, routers: list[APIRouter] | None = None):  # type: ignore[no-untyped-def]
    router = APIRouter()

    @router.post("/things")
    async def make(thing: Thing, p: Annotated[Principal, Depends(require(Role.HOTLINE))]) -> dict:
        if thing.name == "dup":
            raise ApiError(409, "duplicate", "that thing exists")
        return {"by": p.role, "unit": p.unit}

    @router.get("/boom")
    async def boom(_: Annotated[Principal, Depends(require())]) -> dict:
        raise RuntimeError("a bug")

    settings = CommonSettings(
        env="dev",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        auth_secret=TEST_SECRET,
        max_body_bytes=max_body,
        service_name="probe",
    )
    runtime = ServiceRuntime(
        ServiceSpec(name="probe", metadata=new_metadata(), migrations=None, own_topic=None, uow_class=UnitOfWork),
        settings,
        None,
    )
    app = create_app(
        runtime, title="probe", description="probe", routers=[router, *(routers or [])], manage_runtime=False
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t")


async def test_a_missing_or_forged_token_is_401_and_a_wrong_role_is_403(tmp_path):
    async with _app(tmp_path) as c:
        r = await c.post("/things", json={"name": "a", "size": 1})
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
        forged = TokenCodec("another-secret-" + "y" * 40).issue("x", Role.HOTLINE)
        r = await c.post("/things", json={"name": "a", "size": 1}, headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401
        r = await c.post("/things", json={"name": "a", "size": 1}, headers=auth_header(Role.GRID))
        assert r.status_code == 403 and "grid" in r.json()["error"]["message"]
        r = await c.post("/things", json={"name": "a", "size": 1}, headers=auth_header(Role.HOTLINE))
        assert r.status_code == 200 and r.json()["by"] == "hotline"


async def test_an_expired_token_is_refused():
    codec = TokenCodec(TEST_SECRET)
    token = codec.issue("x", Role.SUPERVISOR, ttl=timedelta(seconds=-5))
    with pytest.raises(ApiError) as err:
        codec.verify(token)
    assert err.value.status == 401


async def test_a_verified_token_is_kept_until_it_expires_and_refused_from_then_on():
    now = [time.time()]
    codec = TokenCodec(TEST_SECRET, clock=lambda: now[0])
    token = codec.issue("x", Role.HOTLINE, ttl=timedelta(seconds=60))
    first = codec.verify(token)
    assert codec.verify(token) is first  # the second time from what the first verification kept
    now[0] += 61
    with pytest.raises(ApiError) as err:
        codec.verify(token)
    assert err.value.status == 401
    forged = TokenCodec("another-secret-" + "y" * 40).issue("x", Role.HOTLINE)
    for _ in range(2):  # a token that failed is checked in full every time, never kept
        with pytest.raises(ApiError):
            codec.verify(forged)


def test_a_department_token_needs_its_unit_code():
    with pytest.raises(ValueError):
        TokenCodec(TEST_SECRET).issue("x", Role.DEPARTMENT)


async def test_invalid_fields_are_named_in_one_error_shape(tmp_path):
    async with _app(tmp_path) as c:
        r = await c.post("/things", json={"name": "toolong", "size": -1}, headers=auth_header(Role.HOTLINE))
        body = r.json()["error"]
        assert r.status_code == 422 and body["code"] == "invalid_request"
        assert {d["field"] for d in body["details"]} == {"name", "size"}
        r = await c.post(
            "/things", content=b"{not json", headers={**auth_header(Role.HOTLINE), "content-type": "application/json"}
        )
        assert r.status_code == 422 and r.json()["error"]["details"]
        r = await c.post("/things", json={"name": "dup", "size": 1}, headers=auth_header(Role.HOTLINE))
        assert r.status_code == 409 and r.json() == {
            "error": {"code": "duplicate", "message": "that thing exists", "details": []}
        }


async def test_a_body_over_the_limit_is_413_and_a_bug_is_a_500_without_internals(tmp_path):
    async with _app(tmp_path, max_body=64) as c:
        r = await c.post("/things", content=b'{"name": "' + b"x" * 200 + b'"}', headers=auth_header(Role.HOTLINE))
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
        r = await c.get("/boom", headers=auth_header(Role.OPS))
        assert r.status_code == 500 and "a bug" not in r.text


async def test_a_chunked_body_over_the_limit_is_413_not_400(tmp_path):
    async def chunks():  # no Content-Length: the size is only known while reading
        for _ in range(10):
            yield b"x" * 20

    async with _app(tmp_path, max_body=64) as c:
        r = await c.post("/things", content=chunks(), headers=auth_header(Role.HOTLINE))
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


async def test_a_page_past_any_listing_is_refused_with_422(tmp_path):
    router = APIRouter()

    @router.get("/items")
    async def items(paging: Annotated[PageParams, Depends(page_params)]) -> dict:
        return {"offset": paging.offset}

    async with _app(tmp_path, routers=[router]) as c:
        r = await c.get("/items", params={"page": 2**63})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
        assert (await c.get("/items", params={"page": 2})).json() == {"offset": 50}


async def test_health_and_metrics_are_served_and_count_requests(tmp_path):
    async with _app(tmp_path) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
        await c.post("/things", json={"name": "a", "size": 1}, headers=auth_header(Role.HOTLINE))
        text = (await c.get("/metrics")).text
        assert 'caseflow_http_requests_total{method="POST",route="/things",service="probe",status="200"}' in text


def test_outside_dev_a_weak_or_default_secret_is_refused():
    with pytest.raises(ValueError, match="AUTH_SECRET"):
        CommonSettings(env="prod", auth_secret="short")
    with pytest.raises(ValueError):
        CommonSettings(env="prod", auth_secret="dev-only-" + "z" * 40)
    assert CommonSettings(env="prod", auth_secret="s" * 40).auth_secret == "s" * 40


def test_outside_dev_unsigned_events_cannot_be_allowed():
    with pytest.raises(ValueError, match="REQUIRE_SIGNED_EVENTS"):
        CommonSettings(env="prod", auth_secret="s" * 40, require_signed_events=False)
    assert CommonSettings(env="prod", auth_secret="s" * 40).require_signed_events
    assert not CommonSettings(env="dev", auth_secret="s" * 40, require_signed_events=False).require_signed_events


def test_no_service_starts_on_an_implicit_environment_or_a_built_in_secret():
    with pytest.raises(ValueError, match="env"):
        CommonSettings(auth_secret="s" * 40)  # CASEFLOW_ENV unset
    with pytest.raises(ValueError, match="AUTH_SECRET is not set"):
        CommonSettings(env="dev")  # not even in dev: the embedded default writes its own


def test_settings_errors_name_the_setting_and_never_echo_its_value(tmp_path, capsys):
    from caseflow_common.cli import main

    secret_tail = "TAIL-OF-A-SECRET-9f8e7d"

    def factory() -> CommonSettings:
        return CommonSettings(env="prod", auth_secret="short-" + secret_tail)

    with pytest.raises(SystemExit) as stopped:
        main(settings_factory=factory, build=lambda s: (None, None), argv=["serve"])  # type: ignore[arg-type,return-value]
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "AUTH_SECRET" in err and secret_tail not in err


def test_outside_dev_a_token_without_expiry_is_refused_and_a_list_as_unit_is_refused_everywhere():
    prod = TokenCodec("s" * 40, require_expiry=True)
    with pytest.raises(ApiError, match="invalid or expired"):
        prod.verify(prod.issue("op", "hotline"))
    assert prod.verify(prod.issue("op", "hotline", ttl=timedelta(hours=1))).role == "hotline"
    forged = jwt.encode(
        {"sub": "x", "role": "department", "unit": ["GZ-TH-CG", "GZ-YX-CG"], "iss": "caseflow"},
        "s" * 40,
        algorithm="HS256",
    )
    with pytest.raises(ApiError, match="one unit code") as refused:
        TokenCodec("s" * 40).verify(forged)
    assert refused.value.status == 401


async def test_the_api_docs_work_without_the_internet(tmp_path):
    async with _app(tmp_path) as c:
        page = await c.get("/docs")
        assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text
        assert "cdn" not in page.text.lower() and "googleapis" not in page.text
        assert (await c.get("/docs-assets/swagger-ui-bundle.js")).status_code == 200
        redoc = await c.get("/redoc")
        assert "/docs-assets/redoc.standalone.js" in redoc.text and "fonts.googleapis" not in redoc.text
        assert (await c.get("/docs-assets/redoc.standalone.js")).status_code == 200


async def test_a_browser_on_a_loopback_origin_may_call_the_api_in_dev_and_others_may_not(tmp_path):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    async with _app(tmp_path) as c:
        ok = await c.options("/things", headers={"Origin": "http://127.0.0.1:5173", **preflight})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"
        other = await c.options("/things", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in other.headers
