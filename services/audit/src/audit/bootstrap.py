"""Wiring of the audit service."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

from fastapi import FastAPI

import caseflow_common.contracts  # noqa: F401  (registers event models)
from caseflow_common import topics
from caseflow_common.events import known_events, utcnow
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from audit import api, handlers
from audit.orm import metadata
from audit.settings import Settings


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> tuple[ServiceRuntime, FastAPI]:
    spec = ServiceSpec(name="audit", metadata=metadata, migrations=Path(__file__).parent / "migrations",
                       own_topic=None, consumes=[topics.INTAKE, topics.DISPATCH, topics.ESCALATION],
                       handlers={event_type: handlers.append_entry for event_type, _ in known_events()})
    runtime = ServiceRuntime(spec, settings, clock)
    app = create_app(runtime, title="caseflow audit",
                     description="Closed-loop record, hash chain, assessment figures.", routers=[api.router])
    return runtime, app
