"""Wiring of the escalation service: build(settings, clock) -> (runtime, app)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

import caseflow_common.contracts  # noqa: F401  (registers event models)
from caseflow_common import topics
from caseflow_common.directory_copy import DirectoryCopy, refresh_loop
from caseflow_common.events import utcnow
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from escalation import metrics
from escalation.api import routers
from escalation.calendar_doc import load_calendar_file
from escalation.config import ConfigStore
from escalation.context import EscalationContext, SchedulerPace, TimeLimits
from escalation.coordination import directory_files
from escalation.domain.patterns import (
    CrimeClues,
    HotspotPolicy,
    PatternPolicies,
    RepeatPolicy,
    SatisfactionPolicy,
)
from escalation.handlers import HANDLERS
from escalation.orm import directory_changes, metadata
from escalation.scheduler import scheduler_loop
from escalation.settings import Settings
from escalation.uow import EscalationRuntime, EscalationUnitOfWork


def _readiness(runtime: EscalationRuntime) -> dict[str, Any]:
    """/readyz detail: deadlines computed on a weekends-only guess wait for a published calendar."""
    ctx = runtime.context
    return {
        "calendar": {
            "version": ctx.config.current.calendar_version,
            "provisional_deadlines": ctx.gauges.provisional_deadlines,
            "open_clocks": ctx.gauges.open_clocks,
        }
    }


def _pattern_policies(s: Settings) -> PatternPolicies:
    """The pattern thresholds and warning levels a city chose (SZ Art. 21; GZ Art. 48(3))."""
    return PatternPolicies(
        RepeatPolicy(s.repeat_threshold, tuple(s.repeat_levels or ())),
        HotspotPolicy(s.hotspot_threshold, timedelta(hours=s.hotspot_window_hours), tuple(s.hotspot_levels or ())),
        SatisfactionPolicy(s.satisfaction_threshold, s.satisfaction_last, timedelta(hours=s.satisfaction_window_hours)),
        CrimeClues(tuple(s.crime_clue_categories)),
    )


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> tuple[EscalationRuntime, FastAPI]:
    units, regions = directory_files(Path(settings.data_dir))
    context = EscalationContext(
        config=ConfigStore(load_calendar_file(settings.calendar_file) if settings.calendar_file else None),
        directory=DirectoryCopy(regions, units, clock=clock, refresh_s=settings.directory_refresh_s),
        police_kind=settings.public_security_kind,
        patterns=_pattern_policies(settings),
        pace=SchedulerPace(settings.scheduler_batch, settings.scheduler_interval_s, settings.gauge_interval_s),
        assisting_kinds=tuple(dict.fromkeys(settings.assisting_clock_kinds)),
        limits=TimeLimits(
            timedelta(seconds=settings.event_time_skew_s), timedelta(days=settings.manual_rectification_max_days)
        ),
    )
    metrics.precreate(context.coordination.unit_regions)
    spec: ServiceSpec[EscalationUnitOfWork, EscalationContext] = ServiceSpec(
        name="escalation",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        own_topic=topics.ESCALATION,
        consumes=[topics.INTAKE, topics.DISPATCH],
        handlers=HANDLERS,
        uow_class=EscalationUnitOfWork,
        loops=[
            *([scheduler_loop] if settings.scheduler_enabled else []),
            refresh_loop(directory_changes, settings.directory_refresh_s),
        ],
        readiness_extra=_readiness,
    )
    runtime = ServiceRuntime(spec, settings, context, clock)
    app = create_app(
        runtime,
        title="caseflow escalation",
        description="SLA clocks, the supervision ladder, pattern triggers.",
        routers=routers,
    )
    return runtime, app
