"""Every route of the four services runs on the event loop: no endpoint and no dependency is a plain function.

FastAPI runs a plain ``def`` endpoint or dependency on a worker thread: a thread hand-off per request and per such
dependency, which under load showed as a tenth of dispatch's CPU (a lock wait and a wake-up each time). A coroutine
is called inline. The apps are built (not started) exactly as the services build them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

import audit.bootstrap
import dispatch.bootstrap
import escalation.bootstrap
import intake.bootstrap
from audit.settings import Settings as AuditSettings
from caseflow_common.testing import service_settings
from dispatch.settings import Settings as DispatchSettings
from escalation.settings import Settings as EscalationSettings
from intake.settings import Settings as IntakeSettings

SERVICES: dict[str, tuple[Callable[..., tuple[Any, Any]], type[Any]]] = {
    "intake": (intake.bootstrap.build, IntakeSettings),
    "dispatch": (dispatch.bootstrap.build, DispatchSettings),
    "escalation": (escalation.bootstrap.build, EscalationSettings),
    "audit": (audit.bootstrap.build, AuditSettings),
}


def _runs_inline(call: Callable[..., Any]) -> bool:
    target = call if inspect.isroutine(call) else getattr(call, "__call__", call)  # noqa: B004 - a class instance
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def _on_threads(dep: Dependant, found: set[str]) -> set[str]:
    if dep.call is not None and not _runs_inline(dep.call):
        found.add(f"{getattr(dep.call, '__module__', '?')}.{getattr(dep.call, '__qualname__', repr(dep.call))}")
    for sub in dep.dependencies:
        _on_threads(sub, found)
    return found


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """The app's API routes, into included routers (FastAPI keeps an included router as one route that holds it)."""
    out: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif (inner := getattr(route, "original_router", None)) is not None:
            out.extend(_api_routes(inner.routes))
    return out


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_endpoint_or_dependency_of_a_service_runs_on_a_worker_thread(name: str, tmp_path: Path) -> None:
    build, settings_cls = SERVICES[name]
    settings = service_settings(
        settings_cls, broker="127.0.0.1:9", prefix="t.", database_url=f"sqlite+aiosqlite:///{tmp_path}/{name}.db"
    )
    _, app = build(settings)
    routes = _api_routes(app.routes)
    assert len(routes) > 5, f"only {len(routes)} API routes found"
    threaded = {f"{sorted(r.methods)[0]} {r.path}: {fn}" for r in routes for fn in _on_threads(r.dependant, set())}
    assert not threaded, "run on a worker thread (make them `async def`):\n" + "\n".join(sorted(threaded))
