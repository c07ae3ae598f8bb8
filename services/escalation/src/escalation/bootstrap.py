"""Wiring of the escalation service."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from fastapi import FastAPI

import caseflow_common.contracts  # noqa: F401  (registers event models)
from caseflow_common import topics
from caseflow_common.events import utcnow
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from escalation.orm import metadata
from escalation.settings import Settings


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> tuple[ServiceRuntime, FastAPI]:
    spec = ServiceSpec(name="escalation", metadata=metadata, migrations=Path(__file__).parent / "migrations",
                       own_topic=topics.ESCALATION, consumes=[topics.INTAKE, topics.DISPATCH], handlers={})
    runtime = ServiceRuntime(spec, settings, clock)
    app = create_app(runtime, title="caseflow escalation",
                     description="SLA clocks, the supervision ladder, pattern triggers.", routers=[])
    return runtime, app
