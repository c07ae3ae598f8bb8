"""Wiring of the intake service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI

import caseflow_common.contracts  # noqa: F401  (registers event models)
from caseflow_common import directory, topics
from caseflow_common.directory_copy import DirectoryCopy, refresh_loop
from caseflow_common.events import utcnow
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from intake.api import routers
from intake.context import IntakeContext
from intake.domain.open311 import DiscoveryInfo
from intake.domain.times import TimeLimits
from intake.handlers import HANDLERS
from intake.orm import directory_changes, metadata
from intake.privacy import PhoneVault
from intake.ratelimit import Limit, RateLimits, TokenBuckets
from intake.settings import Settings
from intake.uow import IntakeRuntime, IntakeUnitOfWork


def rate_limits(settings: Settings) -> RateLimits:
    """This process's buckets for authenticated writes and for Open311 POSTs, from the settings."""
    keep = settings.rate_limit_max_clients
    return RateLimits(
        writes=TokenBuckets(Limit(settings.rate_limit_per_minute, settings.rate_limit_burst), max_clients=keep),
        open311=TokenBuckets(
            Limit(settings.open311_rate_limit_per_minute, settings.open311_rate_limit_burst), max_clients=keep
        ),
    )


def _changeset(catalogue: Path) -> str:
    """Open311's changeset: when the services (the category catalogue) last changed, UTC."""
    return datetime.fromtimestamp(catalogue.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M")


def build_context(settings: Settings, clock: Callable[[], datetime] = utcnow) -> IntakeContext:
    """Reference data from the data directory (the regions as dispatch changes them), the phone vault from the
    settings' keys."""
    regions = directory.load_regions(settings.data_dir)
    return IntakeContext(
        categories={c.code: c for c in directory.load_categories(settings.data_dir)},
        directory=DirectoryCopy(regions, (), clock=clock, refresh_s=settings.directory_refresh_s),
        vault=PhoneVault(settings.phone_encryption_keys, settings.phone_hash_key),
        case_number_prefix=settings.case_number_prefix,
        public_listing=settings.open311_public_listing,
        public_level=settings.open311_public_region_level,
        public_decimals=settings.open311_public_coordinate_decimals,
        rate_limits=rate_limits(settings),
        repeat_distance_m=settings.repeat_distance_m,
        withheld_view_roles=frozenset(settings.identity_withheld_view_roles),
        whistleblower_view_roles=frozenset(settings.whistleblower_view_roles),
        expected_clock=settings.open311_expected_clock,
        open311_keys=dict(settings.open311_api_keys),
        discovery=DiscoveryInfo(
            changeset=_changeset(settings.data_dir / "categories.json"),
            contact=settings.open311_contact,
            key_service=settings.open311_key_service,
            kind="production" if settings.env == "prod" else "test",
            url=settings.open311_base_url.rstrip("/"),
        ),
        time_limits=TimeLimits(
            max_age=timedelta(days=settings.report_max_age_days),
            future_skew=timedelta(seconds=settings.report_future_skew_s),
        ),
    )


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> tuple[IntakeRuntime, FastAPI]:
    """The intake runtime (consuming dispatch and escalation for the status projection) and its app."""
    spec = ServiceSpec[IntakeUnitOfWork, IntakeContext](
        name="intake",
        metadata=metadata,
        migrations=Path(__file__).parent / "migrations",
        own_topic=topics.INTAKE,
        consumes=[topics.DISPATCH, topics.ESCALATION],
        handlers=HANDLERS,
        uow_class=IntakeUnitOfWork,
        loops=[refresh_loop(directory_changes, settings.directory_refresh_s)],
    )
    runtime = ServiceRuntime(spec, settings, build_context(settings, clock), clock)
    app = create_app(
        runtime,
        title="caseflow intake",
        description="Hotline and grid reports, case status for hotline systems, return visits, Open311.",
        routers=routers,
    )
    return runtime, app
