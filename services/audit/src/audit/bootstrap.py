"""Wiring of the audit service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

import caseflow_common.contracts  # noqa: F401  (registers event models)
from audit import api, api_anchors, api_figures
from audit.facts import ClockKinds
from audit.handlers import Recorder, RecordRules, loop_policy, record
from audit.orm import metadata
from audit.settings import Settings
from audit.uow import AuditUnitOfWork
from audit.workers import background_loops
from caseflow_common import topics
from caseflow_common.events import known_events, utcnow
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app


def recorder_for(settings: Settings) -> Recorder:
    """The recorder with the city's rules from settings."""
    return Recorder(
        RecordRules(
            personal_fields=frozenset(settings.personal_fields),
            loop_policy=loop_policy(settings.visit_grace_hours),
            clock_kinds=ClockKinds(sign_for=settings.sign_clock_kind, close=settings.close_clock_kind),
        )
    )


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> tuple[ServiceRuntime, FastAPI]:
    """The audit runtime (consumes every topic, publishes nothing) and its app."""
    recorder = recorder_for(settings)
    spec = ServiceSpec(
        name="audit",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        own_topic=None,
        consumes=[topics.INTAKE, topics.DISPATCH, topics.ESCALATION],
        handlers={model: record for model in known_events().values()},
        uow_class=AuditUnitOfWork,
        loops=background_loops(settings, recorder),
    )
    runtime = ServiceRuntime(spec, settings, recorder, clock)
    app = create_app(
        runtime,
        title="caseflow audit",
        description="Closed-loop record, hash chain, anchors, assessment figures.",
        routers=[api.router, api_figures.router, api_anchors.router],
    )
    return runtime, app
