"""Wiring of the dispatch service: build(settings, clock) -> (runtime, app)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI

import caseflow_common.contracts  # noqa: F401  (registers event models)
from caseflow_common import topics
from caseflow_common.events import utcnow
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from dispatch.api import routers
from dispatch.api.console_routes import install_console
from dispatch.api.errors import install_error_answers
from dispatch.context import DispatchContext
from dispatch.directory_commands import seed_directory
from dispatch.directory_store import DirectoryStore
from dispatch.handlers import HANDLERS
from dispatch.orm import metadata
from dispatch.reference import load_reference
from dispatch.routing_commands import seed_routing
from dispatch.routing_store import RoutingStore
from dispatch.settings import Settings
from dispatch.state_gauge import directory_effects, state_gauge
from dispatch.stream import StreamLimits
from dispatch.uow import DispatchRuntime, DispatchUnitOfWork


class _SeededRuntime(ServiceRuntime[DispatchUnitOfWork, DispatchContext]):
    """The common runtime with dispatch's steps: the directory and routing seeds are stored before any work starts;
    its units of work wake the live streams; stopping ends them."""

    def uow(self) -> DispatchUnitOfWork:
        uow = super().uow()
        uow.on_changes = self.context.changes.notify  # this process's live streams look at once
        return uow

    async def start(self, *, workers: bool | None = None) -> None:
        self.context.changes.closed = False
        await super().start(workers=False)
        await seed_directory(self)
        await seed_routing(self)
        if self.settings.run_workers if workers is None else workers:
            await self.start_workers()

    def draining(self) -> None:
        self.context.changes.close()  # open live streams end, so the server's drain does not wait on them

    async def stop(self) -> None:
        self.context.changes.close()  # open live streams end before the database goes
        await super().stop()


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> tuple[DispatchRuntime, FastAPI]:
    """The dispatch runtime (consumer of intake and escalation events) and its HTTP app."""
    directory = DirectoryStore(load_reference(settings.data_dir), clock=clock, refresh_s=settings.directory_interval_s)
    ctx = DispatchContext(
        directory=directory,
        routing=RoutingStore(
            directory.as_of, crime_unit_kind=settings.crime_unit_kind, refresh_s=settings.routing_refresh_s
        ),
        max_returns=settings.max_returns,
        crime_unit_kind=settings.crime_unit_kind,
        city_zone=ZoneInfo(settings.city_timezone),
        stream=StreamLimits(
            max_per_unit=settings.stream_max_per_unit,
            heartbeat_s=settings.stream_heartbeat_s,
            poll_s=settings.stream_poll_s,
            max_s=settings.stream_max_s,
            batch=settings.stream_batch,
        ),
    )
    spec: ServiceSpec[DispatchUnitOfWork, DispatchContext] = ServiceSpec(
        name="dispatch",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        own_topic=topics.DISPATCH,
        consumes=[topics.INTAKE, topics.ESCALATION],
        handlers=HANDLERS,
        uow_class=DispatchUnitOfWork,
        loops=[state_gauge(settings.state_gauge_interval_s), directory_effects(settings.directory_interval_s)],
    )
    runtime = _SeededRuntime(spec, settings, ctx, clock)
    app = create_app(
        runtime,
        title="caseflow dispatch",
        description="Routing, department and coordination work APIs.",
        routers=routers,
    )
    install_error_answers(app)
    install_console(app, settings)
    return runtime, app
