"""Wiring of the escalation service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI

import caseflow_common.contracts  # noqa: F401  (registers event models)
from caseflow_common import topics
from caseflow_common.events import utcnow
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from escalation import api_admin, api_cases, api_supervision
from escalation.calendar_doc import load_calendar_file
from escalation.config import ConfigStore
from escalation.context import EscalationContext
from escalation.coordination import CoordinationMap
from escalation.handlers import HANDLERS, EscalationHandlers
from escalation.orm import metadata
from escalation.pattern_checks import PatternPolicies
from escalation.scheduler import scheduler_loop
from escalation.settings import Settings
from escalation.uow import EscalationUnitOfWork


def _readiness(runtime: ServiceRuntime) -> dict[str, Any]:
    """/readyz detail: deadlines computed on a weekends-only guess wait for a published calendar."""
    store: ConfigStore = runtime.context.config
    gauges = runtime.context.gauges
    return {
        "calendar": {
            "version": store.current.calendar_version,
            "provisional_deadlines": gauges.get("provisional_deadlines"),
            "open_clocks": gauges.get("open_clocks"),
        }
    }


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> tuple[ServiceRuntime, FastAPI]:
    config = ConfigStore(load_calendar_file(settings.calendar_file) if settings.calendar_file else None)
    handlers = EscalationHandlers(
        config, CoordinationMap.load(Path(settings.data_dir)), PatternPolicies.from_settings(settings)
    )
    spec = ServiceSpec(
        name="escalation",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        own_topic=topics.ESCALATION,
        consumes=[topics.INTAKE, topics.DISPATCH],
        handlers=HANDLERS,
        uow_class=EscalationUnitOfWork,
        loops=[scheduler_loop] if settings.scheduler_enabled else [],
        readiness_extra=_readiness,
    )
    runtime = ServiceRuntime(spec, settings, EscalationContext(config=config, handlers=handlers), clock)
    app = create_app(
        runtime,
        title="caseflow escalation",
        description="SLA clocks, the supervision ladder, pattern triggers.",
        routers=[api_cases.router, api_supervision.router, api_admin.router],
    )
    return runtime, app
