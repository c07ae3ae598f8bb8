"""schemathesis over the four services' OpenAPI documents, on the seeded stack: every operation with the schema's
examples, its coverage cases (boundary values, missing and wrong-typed fields, methods it does not offer) and generated
requests (valid ones and ones that break the schema), with a token of a role the operation admits (the policy
table's). An operation with path parameters runs twice: with generated ones (examples, generated requests), and on the
seeded object its role owns (coverage cases, generated requests), so bodies reach the commands of a real case, action
or report. Not one answer may be a 5xx (``not_a_server_error``).

Then every query parameter, and every field of the policy table's valid body, of a date, time or integer type once
at each edge schemathesis does not draw (a time whose offset puts it outside UTC's range, an integer past 64 bits):
again no 5xx.

Deterministic (derandomized, no example database) and bounded (MAX_EXAMPLES generated requests per operation, pass
and generation mode), so the four services take well under a minute on a loaded 2-core machine.

The services run in the test's event loop (their databases and consumers live there), so the cases are sent through
their in-process httpx clients from the thread hypothesis runs in, and checked with ``case.validate_response``. The
operations are run with schemathesis's own test builder (what its pytest plugin and engine run); the plugin itself
does not run on this pytest (``'Function' object has no attribute '_nodeid'``).
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test
from schemathesis.generation.overrides import Override
from security_policy import POLICY, PRINCIPALS, permitted
from security_stack import SERVICES, Seeded, bearer, start_stack

# Generated requests per operation, pass and generation mode; CASEFLOW_FUZZ_EXAMPLES=200 explores deeper.
MAX_EXAMPLES = int(os.environ.get("CASEFLOW_FUZZ_EXAMPLES", "6"))
RUN = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found, in bounded time
    suppress_health_check=list(HealthCheck),
)


# schemathesis draws some values with the `random` module; hypothesis seeds it while a derandomized test runs.
pytestmark = pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")


@pytest_asyncio.fixture(scope="module")
async def stack(broker: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    async with AsyncExitStack() as exits:
        yield await start_stack(exits, broker, tmp_path_factory.mktemp("fuzz"))


def _request(kwargs: dict[str, Any]) -> dict[str, Any]:
    """schemathesis's request (as it would hand it to `requests`) for httpx."""
    out = {k: kwargs.get(k) for k in ("method", "url", "headers", "params")}
    out["cookies"] = kwargs.get("cookies") or None
    if "json" in kwargs:
        out["json"] = kwargs["json"]
    data = kwargs.get("data")
    if isinstance(data, bytes | str):
        out["content"] = data
    elif data is not None:
        out["data"] = data
    if kwargs.get("files"):
        out["files"] = kwargs["files"]
    return out


def _caller(
    loop: asyncio.AbstractEventLoop, client: httpx.AsyncClient, headers: dict[str, str], answers: Counter[int]
) -> Callable[[Any], None]:
    """The test schemathesis runs on each case: send it with the token, no 5xx allowed, count the answer."""

    def call(case: Any) -> None:
        request = _request(case.as_transport_kwargs(base_url="http://test", headers=headers))
        response = asyncio.run_coroutine_threadsafe(client.request(**request), loop).result(timeout=60)
        answers[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    return call


def _fuzz(seed: Seeded, service: str, loop: asyncio.AbstractEventLoop, answers: Counter[int]) -> tuple[int, list[str]]:
    schema = schemathesis.openapi.from_dict(seed.svcs[service].app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    for operation in operations:
        rule = POLICY[(service, operation.method.upper(), operation.path)]
        role = permitted(rule)
        headers = bearer(role, PRINCIPALS[role].own) if role is not None else {}
        owned = seed.objects.get(rule.obj_for(role), {})
        pinned = {p.name: str(owned[p.name]) for p in operation.path_parameters if p.name in owned}
        # With path parameters, the coverage cases (boundaries of every query and body field) go to the seeded
        # object, where they reach the commands; generated ids and junk are tried in the first pass.
        passes = [(Override(), list(HypothesisTestMode))]
        if pinned:
            passes = [
                (Override(), [HypothesisTestMode.EXAMPLES, HypothesisTestMode.FUZZING]),
                (Override(path_parameters=pinned), [HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING]),
            ]
        for override, modes in passes:
            config = HypothesisTestConfig(project=schema.config, modes=modes, settings=RUN, override=override)
            test = create_test(
                operation=operation, test_func=_caller(loop, seed.client(service), headers, answers), config=config
            )
            try:
                test()
            except Exception as exc:  # every operation runs; their failures are listed together
                failures.append(
                    f"{operation.method.upper()} {operation.path} {pinned if override.path_parameters else ''}: {exc}"[
                        :3000
                    ]
                )
    return len(operations), failures


@pytest.mark.parametrize("service", list(SERVICES))
async def test_no_generated_request_gets_a_server_error(stack: Seeded, service: str):
    answers: Counter[int] = Counter()
    count, failures = await asyncio.to_thread(_fuzz, stack, service, asyncio.get_running_loop(), answers)
    print(f"{service}: {count} operations, {answers.total()} requests, answers {dict(sorted(answers.items()))}")
    assert answers.total() >= count
    assert not failures, "\n\n".join(failures)


# The edges schemathesis does not draw: times whose offset puts them outside UTC's range, integers past 64 bits.
EDGES: dict[str, list[str]] = {
    "date-time": ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"],
    "date": ["0001-01-01", "9999-12-31"],
    "integer": [str(2**63), str(-(2**63) - 1)],
}


def _kind(schema: dict[str, Any]) -> str | None:
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") == "integer":
            return "integer"
        if option.get("format") in EDGES:
            return str(option["format"])
    return None


def _body_schema(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    return dict(spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]) if ref else dict(schema)


@pytest.mark.parametrize("service", list(SERVICES))
async def test_every_query_parameter_and_body_field_at_the_edges_of_time_and_integers_gets_no_server_error(
    stack: Seeded, service: str
):
    spec = stack.svcs[service].app.openapi()
    sent, failures = 0, []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            rule = POLICY.get((service, method.upper(), path))
            if rule is None or operation.get("responses", {}).get("200", {}).get("content", {}).get(
                "text/event-stream"
            ):
                continue
            role = permitted(rule)
            headers = bearer(role, PRINCIPALS[role].own) if role is not None else {}
            url = path.format(**{k: str(v) for k, v in stack.objects.get(rule.obj_for(role), {}).items()})
            edges = [
                ({**rule.query, p["name"]: value}, None, f"?{p['name']}={value}")
                for p in operation.get("parameters", [])
                if p["in"] == "query" and (kind := _kind(p.get("schema", {}))) is not None
                for value in EDGES[kind]
            ]
            # The fields of the table's (valid) body, one at a time, so the edge reaches the command.
            body = rule.body(stack.objects) if callable(rule.body) else rule.body
            fields = _body_schema(spec, operation).get("properties", {})
            edges += [
                (rule.query, {**body, name: value}, f" {name}={value}")
                for name in body or {}
                if (kind := _kind(fields.get(name, {}))) is not None
                for value in EDGES[kind]
            ]
            for params, json, what in edges:
                r = await stack.client(service).request(method.upper(), url, params=params, json=json, headers=headers)
                sent += 1
                if r.status_code >= 500:
                    failures.append(f"{method.upper()} {url}{what}: {r.status_code} {r.text[:200]}")
    print(f"{service}: {sent} edge requests")
    assert not failures, "\n".join(failures)
