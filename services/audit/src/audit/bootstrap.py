"""Wiring of the audit service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from audit.api import routers
from audit.context import AuditContext
from audit.handlers import HANDLERS
from audit.orm import metadata
from audit.settings import Settings
from audit.uow import AuditRuntime, AuditUnitOfWork
from audit.workers import background_loops
from caseflow_common import topics
from caseflow_common.events import utcnow
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> tuple[AuditRuntime, FastAPI]:
    """The audit runtime (consumes every topic, publishes nothing) and its app."""
    spec = ServiceSpec[AuditUnitOfWork, AuditContext](
        name="audit",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        own_topic=None,
        consumes=[topics.INTAKE, topics.DISPATCH, topics.ESCALATION],
        handlers=HANDLERS,
        uow_class=AuditUnitOfWork,
        loops=background_loops(settings),
    )
    runtime = ServiceRuntime(spec, settings, AuditContext.from_settings(settings), clock)
    app = create_app(
        runtime,
        title="caseflow audit",
        description="Closed-loop record, hash chain, anchors, assessment figures.",
        routers=routers,
    )
    return runtime, app
