"""Property-based run over intake's OpenAPI: bodies drawn from the request schemas, broken versions and junk; no 5xx."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from caseflow_common.auth import Role
from caseflow_common.testing import TEST_OPEN311_KEY, auth_header, service_settings
from intake.bootstrap import build
from intake.settings import Settings

HEADERS = {**auth_header(Role.HOTLINE)}
GRID_HEADERS = {**auth_header(Role.GRID)}
CODES = st.sampled_from(
    ["urban.garbage", "env.noise.construction", "clue.fraud", "440103001001-01", "440103", "440100", "", "x" * 70]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def from_schema(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that mostly fit a JSON schema (as FastAPI publishes it), sometimes not."""
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, defs, depth) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object" and depth < 4:
        props = schema.get("properties", {})
        fields = {k: from_schema(v, defs, depth + 1) for k, v in props.items()}
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: v for k, v in fields.items() if k in required},
            optional={k: v for k, v in fields.items() if k not in required},
        )
    if kind == "string":
        if schema.get("format") == "date-time":
            return st.datetimes().map(lambda d: d.isoformat()) | st.sampled_from(["2026-11-20T09:30:00+08:00"])
        return CODES | st.text(max_size=schema.get("maxLength", 50) + 2)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, min_value=-200, max_value=200)
    if kind == "integer":
        return st.integers(-5, 5)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), defs, depth + 1), max_size=3)
    return JSON


def test_no_generated_request_gets_a_server_error(broker, tmp_path):
    settings_ = service_settings(
        Settings, broker=broker, prefix="fuzz.", database_url=f"sqlite+aiosqlite:///{tmp_path}/f.db", run_workers=False
    )
    _, app = build(settings_)
    with TestClient(app, raise_server_exceptions=False) as client:
        spec = client.get("/openapi.json").json()
        defs = spec["components"]["schemas"]
        hotline = from_schema(defs["HotlineReportIn"], defs)
        grid = from_schema(defs["GridReportIn"], defs)
        visit = from_schema(defs["VisitIn"], defs)
        form = st.fixed_dictionaries(
            {},
            optional={
                "api_key": st.sampled_from([TEST_OPEN311_KEY, "x"]),
                "service_code": CODES,
                "description": st.text(max_size=30),
                "lat": st.sampled_from(["23.121", "x", "91"]),
                "long": st.sampled_from(["113.238", "-181", ""]),
                "address_id": CODES,
                "phone": st.sampled_from(["13800138000", "123", ""]),
                "first_name": st.text(max_size=30),
                "email": st.sampled_from(["a@example.org", "x", ""]),
                "media_url": st.sampled_from(["https://example.org/a.jpg", "javascript:alert(1)", ""]),
                "attribute[noise_time]": st.sampled_from(["night", "never", ""]),
                "attribute[noise_source][]": st.text(max_size=10),
            },
        )
        query = st.fixed_dictionaries(
            {},
            optional={
                "status": st.sampled_from(["open", "Closed", "OPEN,closed", "x"]),
                "service_code": CODES,
                "start_date": st.sampled_from(["2026-01-01T00:00:00Z", "yesterday", "2026-01-01"]),
                "service_request_id": st.text(max_size=20),
            },
        )
        calls = st.one_of(
            st.tuples(st.just("POST /v1/hotline/reports"), hotline | JSON),
            st.tuples(st.just("POST /v1/grid/reports"), grid | JSON),
            st.tuples(st.just("POST /v1/cases/GZ-20261120-000001/visits"), visit | JSON),
            st.tuples(st.sampled_from(["POST /open311/v2/requests.json", "POST /open311/v2/requests.xml"]), form),
            st.tuples(st.sampled_from(["GET /open311/v2/requests.json", "GET /open311/v2/requests.xml"]), query),
            st.tuples(st.just("RAW /v1/hotline/reports"), st.binary(max_size=200)),
        )

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(calls)
        def no_server_error(call: tuple[str, Any]) -> None:
            what, payload = call
            method, path = what.split(" ", 1)
            if method == "POST" and path.startswith("/open311"):
                r = client.post(path, data=payload)
            elif method == "POST":
                r = client.post(path, json=payload, headers=GRID_HEADERS if "grid" in path else HEADERS)
            elif method == "GET":
                r = client.get(path, params=payload)
            else:
                r = client.post(path, content=payload, headers={**HEADERS, "content-type": "application/json"})
            assert r.status_code < 500, (what, payload, r.text)

        no_server_error()
