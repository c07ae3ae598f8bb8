"""Wiring of the dispatch service."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from fastapi import FastAPI

import caseflow_common.contracts  # noqa: F401  (registers event models)
from caseflow_common import directory, topics
from caseflow_common.events import utcnow
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from dispatch import api, handlers
from dispatch.orm import metadata
from dispatch.routing_slice import Directory
from dispatch.settings import Settings


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> tuple[ServiceRuntime, FastAPI]:
    d = Directory(
        regions={r.code: r for r in directory.load_regions(settings.data_dir)},
        units={u.code: u for u in directory.load_units(settings.data_dir)},
        categories={c.code: c for c in directory.load_categories(settings.data_dir)},
        routing=directory.load_routing(settings.data_dir),
    )
    spec = ServiceSpec(name="dispatch", metadata=metadata, migrations=Path(__file__).parent / "migrations",
                       own_topic=topics.DISPATCH, consumes=[topics.INTAKE],
                       handlers={"CaseReceived": handlers.on_case_received(d)})
    runtime = ServiceRuntime(spec, settings, clock)
    runtime.state["directory"] = d
    app = create_app(runtime, title="caseflow dispatch",
                     description="Routing, department and coordination work APIs.", routers=[api.router])
    return runtime, app
