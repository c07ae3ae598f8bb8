"""Commands of intake: a report becomes a case (or a repeat linked to an open one) with its events, in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from caseflow_common.contracts.intake import CaseMerged, CaseReceived, MaskedRequester
from caseflow_common.db import as_utc
from caseflow_common.directory import region_path
from caseflow_common.errors import ApiError
from caseflow_common.events import Actor, new_event
from intake import metrics
from intake.context import IntakeContext, IntakeUnitOfWork
from intake.domain.case_number import case_number_for, local_date
from intake.domain.catalogue_rules import effective_urgency, identity_withheld, report_region_code
from intake.domain.masking import requester_masked
from intake.domain.regions import GRID_LEVEL, region_level, resolve_region
from intake.domain.repeats import CaseSpot, find_repeat
from intake.domain.reports import GridReportIn, HotlineReportIn, Report, fingerprint, occurred_at
from intake.domain.status import CaseStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """The outcome of a report: its case, whether this call created it, and the open case it repeats."""

    case_id: str
    created: bool
    received_at: datetime
    merged_into: str | None = None


def _conflict() -> ApiError:
    metrics.REPORTS_REJECTED.labels("conflict").inc()
    return ApiError(409, "external_id_conflict", "external_id was already used with a different body")


def _grid_of(report: Report, region_code: str, ctx: IntakeContext) -> str | None:
    """The grid a report falls in: its region if that is a grid, else its coordinates', else the reporting grid."""
    if region_level(ctx.regions, region_code) == GRID_LEVEL:
        return region_code
    loc = report.location
    if loc.lat is not None and loc.lon is not None:
        found = resolve_region(loc.lat, loc.lon, ctx.regions)
        if found is not None:
            return found
    return report.grid_code if isinstance(report, GridReportIn) else None


async def _existing(uow: IntakeUnitOfWork, channel: str, external_id: str, fp: str) -> Received | None:
    """The case this channel already made of external_id: the same one again, or a 409 for a different body."""
    prior = await uow.repo.by_external_id(channel, external_id)
    if prior is None:
        return None
    if prior.fingerprint != fp:
        raise _conflict()
    return Received(prior.case_id, False, as_utc(prior.received_at), prior.merged_into)


async def receive_report(
    uow: IntakeUnitOfWork, report: Report, *, channel: str, ctx: IntakeContext, actor: Actor
) -> Received:
    """Store a valid report as a case and emit CaseReceived (and CaseMerged for a repeat); idempotent by external_id."""
    fp = fingerprint(report)
    prior = await _existing(uow, channel, report.external_id, fp)
    if prior is not None:
        return prior
    try:
        received = await _store(uow, report, channel=channel, fp=fp, ctx=ctx, actor=actor)
    except IntegrityError:
        # Two identical submissions raced; the unique (channel, external_id) let one win. Answer as the repeat.
        await uow.session.rollback()
        prior = await _existing(uow, channel, report.external_id, fp)
        if prior is None:
            raise
        return prior
    metrics.CASES_RECEIVED.labels(channel).inc()
    if received.merged_into is not None:
        metrics.CASES_MERGED.inc()
    log.info(
        "case received",
        extra={
            "case_id": received.case_id,
            "channel": channel,
            "category": report.category,
            "merged_into": received.merged_into,
        },
    )
    return received


async def _store(
    uow: IntakeUnitOfWork, report: Report, *, channel: str, fp: str, ctx: IntakeContext, actor: Actor
) -> Received:
    """Number the case, link it to an open case it repeats, write it with its events, commit."""
    now = uow.clock()
    category = ctx.categories[report.category]
    region_code = report_region_code(report, ctx.regions)
    if region_code is None:  # validated before; a guard, not a path
        raise ApiError(
            422, "invalid_request", "invalid fields: location", [{"field": "location", "message": "no region"}]
        )
    received_at = occurred_at(report).astimezone(UTC)
    grid_code = _grid_of(report, region_code, ctx)
    # The first write takes SQLite's write lock at once, so the reads below see every committed case; on PostgreSQL
    # a lock on (category, place) does the same for the only reports that could be repeats of each other.
    seq = await uow.repo.next_sequence(f"case:{local_date(now):%Y%m%d}")
    await uow.repo.lock_place(category.code, grid_code or region_code)
    case_id = case_number_for(ctx.case_number_prefix, now, seq)
    loc = report.location
    rows = await uow.repo.repeat_candidates(
        category=category.code,
        grid_code=grid_code,
        lat=loc.lat,
        lon=loc.lon,
        max_distance_m=ctx.repeat_distance_m,
        exclude=case_id,
    )
    repeat = find_repeat(
        CaseSpot(case_id, category.code, received_at, grid_code, loc.lat, loc.lon),
        [CaseSpot(r.case_id, r.category, as_utc(r.received_at), r.grid_code, r.lat, r.lon, r.status) for r in rows],
        ctx.repeat_distance_m,
    )
    merged_into = repeat.case_id if repeat is not None else None

    requester = getattr(report, "requester", None)
    anonymous = bool(requester and requester.anonymous)
    withheld = identity_withheld(anonymous, category)
    urgency = effective_urgency(report.urgency, category)
    reporter_id = report.reporter_id if isinstance(report, GridReportIn) else None
    await uow.repo.add_case(
        dict(
            case_id=case_id,
            channel=channel,
            external_id=report.external_id,
            fingerprint=fp,
            kind=str(report.kind),
            category=category.code,
            urgency=str(urgency),
            description=report.description,
            region_code=region_code,
            grid_code=grid_code,
            address=loc.address,
            lat=loc.lat,
            lon=loc.lon,
            reporter_id=reporter_id,
            withheld=withheld,
            received_at=received_at,
            created_at=now,
            merged_into=merged_into,
        ),
        _stored_requester(report, ctx),
        status=CaseStatus.MERGED if merged_into else CaseStatus.RECEIVED,
        at=now,
    )
    await uow.repo.add_step(case_id, event_type="CaseReceived", at=now, unit=None, note=None, cycle=1)

    path = region_path(dict(ctx.regions), region_code)
    masked = None
    if requester is not None:
        view = requester_masked(name=requester.name, phone=requester.phone, withheld=withheld)
        masked = MaskedRequester(**view.as_dict()) if view is not None else None
    uow.emit(
        new_event(
            CaseReceived(
                channel=channel,
                external_id=report.external_id,
                kind=str(report.kind),
                category=category.code,
                category_name=category.name,
                urgency=str(urgency),
                description=report.description,
                region_code=region_code,
                region_path=path,
                address=loc.address,
                lat=loc.lat,
                lon=loc.lon,
                received_at=received_at,
                anonymous=anonymous,
                whistleblower=category.whistleblower,
                requester=masked,
                reporter_id=reporter_id,
                repeat_of=merged_into,
            ),
            case_id=case_id,
            producer="intake",
            actor=actor,
            occurred_at=now,
        )
    )
    if merged_into is not None:
        await uow.repo.add_step(case_id, event_type="CaseMerged", at=now, unit=None, note=merged_into, cycle=1)
        uow.emit(
            new_event(
                CaseMerged(
                    into_case_id=merged_into,
                    category=category.code,
                    region_code=region_code,
                    region_path=path,
                    received_at=received_at,
                    channel=channel,
                ),
                case_id=case_id,
                producer="intake",
                actor=actor,
                occurred_at=now,
            )
        )
    await uow.commit()
    return Received(case_id, True, received_at, merged_into)


def _stored_requester(report: Report, ctx: IntakeContext) -> dict | None:
    """The requester row: name and phone encrypted, the phone also hashed, never in the clear (GZ Art. 15; SZ Art. 19)."""
    if not isinstance(report, HotlineReportIn):
        return None  # a grid member reports on patrol; there is no citizen requester
    req = report.requester
    phone = req.phone
    return dict(
        name_encrypted=ctx.vault.seal(req.name) if req.name else None,
        anonymous=req.anonymous,
        phone_encrypted=ctx.vault.encrypt(phone) if phone else None,
        phone_hash=ctx.vault.phone_hash(phone) if phone else None,
    )
