"""The authorization matrix: every operation of the four OpenAPI documents x every role x own/foreign unit.

The operations come from each app's ``app.openapi()``; what each role may do comes from the policy table
(security_policy.POLICY), which must also agree with the roles each route declares (its ``require(...)`` gate). Then
each cell is called on the seeded stack: no token -> 401, a role the route does not admit -> 403, an admitted role on
its own unit's object -> neither 401/403 nor 404, the same role of another unit -> 403 or 404 (a listing leaves the
object out), and no answer is ever a 5xx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from security_policy import POLICY, PRINCIPALS, PUBLIC, Listed, Rule
from security_stack import SERVICES, Seeded, bearer, start_stack

from caseflow_common.auth import Role, RoleGate
from caseflow_common.testing import TEST_OPEN311_KEY, service_settings

METHODS = {"get", "post", "put", "patch", "delete"}
NAMES = list(SERVICES)


def operations(app: FastAPI) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation the app's OpenAPI document publishes."""
    paths = app.openapi()["paths"]
    return [(m.upper(), path) for path, item in paths.items() for m in item if m in METHODS]


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for r in routes:
        if hasattr(r, "original_router"):  # a router included into the app
            yield from _routes(r.original_router.routes)
        elif isinstance(r, APIRoute):
            yield r


def _gates(dependant: Dependant) -> Iterator[RoleGate]:
    """The route's role gates: `require(...)` (RoleGate) and any other gate that states its roles the same way."""
    if isinstance(getattr(dependant.call, "roles", None), frozenset):
        yield dependant.call  # type: ignore[misc]
    for sub in dependant.dependencies:
        yield from _gates(sub)


def declared_roles(app: FastAPI, method: str, path: str) -> frozenset[Role] | None:
    """The roles the route's gate admits (empty: any role), None for a route without a gate (public)."""
    route = next(r for r in _routes(app.routes) if r.path == path and method in r.methods)
    gates = list(_gates(route.dependant))
    if not gates:
        return None
    narrowing = [g.roles for g in gates if g.roles]  # every gate must pass; an empty one admits any role
    return frozenset.intersection(*narrowing) if narrowing else frozenset()


def built_app(name: str, tmp: Path) -> FastAPI:
    """The service's app as its tests build it (nothing started: its routes and OpenAPI document only)."""
    build, settings_cls, _ = SERVICES[name]
    url = f"sqlite+aiosqlite:///{tmp / name}.db"
    return build(service_settings(settings_cls, broker="127.0.0.1:9", prefix="matrix.", database_url=url))[1]


def test_every_operation_of_the_four_openapi_documents_has_a_policy_that_matches_its_declared_roles(tmp_path):
    published: set[tuple[str, str, str]] = set()
    problems = []
    for name in NAMES:
        app = built_app(name, tmp_path)
        for method, path in operations(app):
            published.add((name, method, path))
            rule = POLICY.get((name, method, path))
            if rule is None:
                problems.append(f"{name} {method} {path}: in the OpenAPI document but not in the policy table")
            elif declared_roles(app, method, path) != rule.roles:
                declared = declared_roles(app, method, path)
                problems.append(f"{name} {method} {path}: the route admits {declared}, the policy says {rule.roles}")
    problems += [f"{' '.join(key)}: in the policy table but no such operation" for key in POLICY.keys() - published]
    assert not problems, "\n".join(problems)


@pytest_asyncio.fixture(scope="module")
async def stack(broker: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    async with AsyncExitStack() as exits:
        yield await start_stack(exits, broker, tmp_path_factory.mktemp("matrix"))


def _payload(value: Any, seed: Seeded) -> Any:
    return value(seed.objects) if callable(value) else value


async def call(
    seed: Seeded,
    service: str,
    method: str,
    path: str,
    rule: Rule,
    role: Role | None,
    who: tuple[str, str | None] | None,
) -> httpx.Response:
    url = path.format(**seed.objects.get(rule.obj_for(role), {}))
    headers = bearer(role, who) if role is not None and who is not None else {}
    form = _payload(rule.form, seed)
    return await seed.client(service).request(
        method,
        url,
        params=rule.query,
        json=_payload(rule.body, seed),
        data={"api_key": TEST_OPEN311_KEY, **form} if form is not None else None,
        headers=headers,
    )


def _listed(response: httpx.Response, listed: Listed, seed: Seeded, role: Role) -> bool:
    wanted = seed.objects[listed.obj if isinstance(listed.obj, str) else listed.obj[role]][listed.param]
    return any(item.get(listed.key) == wanted for item in response.json()[listed.items])


def _envelope(response: httpx.Response, code: str) -> bool:
    try:
        return bool(response.json()["error"]["code"] == code)
    except (ValueError, KeyError, TypeError):
        return False


@pytest.mark.parametrize("service", NAMES)
async def test_each_route_admits_only_its_roles_and_each_unit_only_its_own_cases(stack: Seeded, service: str):
    failures: list[str] = []
    cells = 0

    def expect(ok: bool, what: str, response: httpx.Response) -> None:
        nonlocal cells
        cells += 1
        if not ok or response.status_code >= 500:
            failures.append(f"{what}: {response.status_code} {response.text[:200]}")

    for method, path in operations(stack.svcs[service].app):
        rule = POLICY[(service, method, path)]  # the policy test above names a missing one
        op = f"{service} {method} {path}"
        anonymous = await call(stack, service, method, path, rule, None, None)
        if rule.roles is PUBLIC:
            expect(anonymous.status_code not in (401, 403), f"{op} without a token (public)", anonymous)
        else:
            expect(
                anonymous.status_code == 401 and _envelope(anonymous, "unauthenticated"),
                f"{op} without a token",
                anonymous,
            )
        for role, who in PRINCIPALS.items():
            admitted = rule.roles is PUBLIC or not rule.roles or role in rule.roles
            if not admitted:
                r = await call(stack, service, method, path, rule, role, who.own)
                expect(r.status_code == 403 and _envelope(r, "forbidden"), f"{op} as {role} (not admitted)", r)
                continue
            if role in rule.scoped:
                assert who.foreign is not None, f"{role} is scoped on {op} but has no foreign principal"
                r = await call(stack, service, method, path, rule, role, who.foreign)
                if rule.listed is not None:
                    ok = r.status_code == 200 and not _listed(r, rule.listed, stack, role)
                    expect(ok, f"{op} as {role} of another unit lists the own unit's object", r)
                else:
                    expect(r.status_code in (403, 404), f"{op} as {role} of another unit", r)
            r = await call(stack, service, method, path, rule, role, who.own)
            if role in rule.scoped and rule.listed is not None:
                ok = r.status_code == 200 and _listed(r, rule.listed, stack, role)
                expect(ok, f"{op} as {role} of the own unit misses its object", r)
            elif role in rule.scoped:
                expect(r.status_code not in (401, 403, 404), f"{op} as {role} of the own unit", r)
            else:
                expect(r.status_code not in (401, 403), f"{op} as {role}", r)
    print(f"{service}: {cells} cells checked")
    assert not failures, f"{len(failures)} of {cells} cells:\n" + "\n".join(failures)
