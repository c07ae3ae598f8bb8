"""Wiring of the intake service."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from fastapi import FastAPI

import caseflow_common.contracts  # noqa: F401  (registers event models)
from caseflow_common import directory, topics
from caseflow_common.events import utcnow
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from intake import api
from intake.orm import metadata
from intake.settings import Settings


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> tuple[ServiceRuntime, FastAPI]:
    spec = ServiceSpec(name="intake", metadata=metadata, migrations=Path(__file__).parent / "migrations",
                       own_topic=topics.INTAKE)
    runtime = ServiceRuntime(spec, settings, clock)
    runtime.state["categories"] = {c.code: c for c in directory.load_categories(settings.data_dir)}
    runtime.state["regions"] = {r.code: r for r in directory.load_regions(settings.data_dir)}
    app = create_app(runtime, title="caseflow intake",
                     description="Hotline and grid reports, case status for hotline systems, return visits, Open311.",
                     routers=[api.router])
    return runtime, app
