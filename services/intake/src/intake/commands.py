"""Commands of intake: a report becomes a case (or a repeat linked to an open one); visits are in visit_commands.

Each command opens its unit of work and commits it there; its events go to the outbox in that transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from caseflow_common.contracts.intake import CaseMerged, CaseReceived, Channel, MaskedRequester
from caseflow_common.contracts.status import CaseStatus
from caseflow_common.directory import region_path
from caseflow_common.events import Actor, new_event
from intake import metrics, repeat_lookup
from intake.context import IntakeContext
from intake.domain.case_number import case_number_for, local_date
from intake.domain.catalogue_rules import (
    FieldError,
    effective_urgency,
    identity_withheld,
    report_grid_code,
    report_region_code,
    report_time_errors,
    validate_report,
)
from intake.domain.errors import ExternalIdConflict, InvalidReport
from intake.domain.masking import requester_masked
from intake.domain.redaction import redact_personal
from intake.domain.repeats import CaseSpot, find_repeat
from intake.domain.reports import GridReportIn, HotlineReportIn, Open311ReportIn, Report, fingerprint, occurred_at
from intake.privacy import redact_and_seal
from intake.repository import aware
from intake.uow import IntakeRuntime, IntakeUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    """The outcome of a report: its case, whether this call created it, and the open case it repeats."""

    case_id: str
    created: bool
    received_at: datetime
    merged_into: str | None = None


async def _existing(uow: IntakeUnitOfWork, channel: Channel, external_id: str, fp: str) -> Received | None:
    """The case this channel already made of external_id: the same one again, or a conflict for a different body."""
    prior = await uow.repo.by_external_id(str(channel), external_id)
    if prior is None:
        return None
    if prior.fingerprint != fp:
        raise ExternalIdConflict(external_id)
    return Received(prior.case_id, False, aware(prior.received_at), prior.merged_into)


async def receive_report(rt: IntakeRuntime, report: Report, *, channel: Channel, actor: Actor) -> Received:
    """Store a report the catalogue accepts as a case, emit CaseReceived (+ CaseMerged for a repeat); idempotent."""
    ctx = rt.context
    errors = validate_report(report, ctx.categories, ctx.regions, reportable_levels=ctx.reportable_levels)
    errors += report_time_errors(report, rt.clock(), ctx.time_limits)
    if errors:
        raise InvalidReport(errors)
    fp = fingerprint(report)
    async with rt.uow() as uow:
        try:
            received = await _store(uow, report, channel=channel, fp=fp, ctx=ctx, actor=actor)
        except IntegrityError:
            # The channel already made a case of this external_id (a resubmission, or two identical submissions
            # racing): the unique (channel, external_id) refused this one, and nothing of it stays. Answer with that
            # case, or 409 for a different body. A new report, the common one, so costs no lookup beforehand.
            await uow.session.rollback()
            prior = await _existing(uow, channel, report.external_id, fp)
            if prior is None:
                raise
            return prior
    metrics.CASES_RECEIVED.labels(str(channel)).inc()
    if received.merged_into is not None:
        metrics.CASES_MERGED.inc()
    log.info(
        "case received",
        extra={
            "case_id": received.case_id,
            "channel": str(channel),
            "category": report.category,
            "merged_into": received.merged_into,
        },
    )
    return received


async def _store(
    uow: IntakeUnitOfWork, report: Report, *, channel: Channel, fp: str, ctx: IntakeContext, actor: Actor
) -> Received:
    """Number the case, link it to an open case it repeats, write it with its events, commit."""
    now = uow.clock()
    category = ctx.categories[report.category]
    region_code = report_region_code(report, ctx.regions)
    if region_code is None:  # validated before; a guard, not a path
        raise InvalidReport([FieldError(("location",), "no region")])
    received_at = occurred_at(report).astimezone(UTC)
    grid_code = report_grid_code(report, region_code, ctx.regions)
    # The first write takes SQLite's write lock at once, so the reads below see every committed case; on PostgreSQL
    # a lock on (category, place) does the same for the only reports that could be repeats of each other.
    seq = await uow.repo.next_sequence(f"case:{local_date(now):%Y%m%d}")
    await uow.repo.lock_place(category.code, grid_code or region_code)
    case_id = case_number_for(ctx.case_number_prefix, now, seq)
    loc = report.location
    rows = await repeat_lookup.candidates(
        uow.session,
        category=category.code,
        grid_code=grid_code,
        lat=loc.lat,
        lon=loc.lon,
        max_distance_m=ctx.repeat_distance_m,
        exclude=case_id,
    )
    repeat = find_repeat(
        CaseSpot(case_id, category.code, received_at, grid_code, loc.lat, loc.lon),
        [CaseSpot(r.case_id, r.category, aware(r.received_at), r.grid_code, r.lat, r.lon, r.status) for r in rows],
        ctx.repeat_distance_m,
    )
    merged_into = repeat.case_id if repeat is not None else None

    requester = report.requester if isinstance(report, HotlineReportIn) else None
    anonymous = bool(requester and requester.anonymous)
    withheld = identity_withheld(anonymous, category)
    urgency = effective_urgency(report.urgency, category)
    reporter_id = report.reporter_id if isinstance(report, GridReportIn) else None
    description, sealed = _redacted(report, ctx)
    await uow.repo.add_case(
        dict(
            case_id=case_id,
            channel=str(channel),
            external_id=report.external_id,
            fingerprint=fp,
            kind=str(report.kind),
            category=category.code,
            urgency=str(urgency),
            description=description,
            description_sealed=sealed,
            region_code=region_code,
            grid_code=grid_code,
            address=loc.address,
            lat=loc.lat,
            lon=loc.lon,
            reporter_id=reporter_id,
            withheld=withheld,
            whistleblower=bool(category.whistleblower),
            received_at=received_at,
            created_at=now,
            merged_into=merged_into,
            submitted_by=actor.id,
            **_open311_matter(report),
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
    received = CaseReceived(
        channel=channel,
        external_id=report.external_id,
        kind=str(report.kind),
        category=category.code,
        category_name=category.name,
        urgency=urgency,
        description=description,
        region_code=region_code,
        region_codes=loc.all_region_codes or [region_code],
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
    )
    uow.emit(new_event(received, case_id=case_id, producer="intake", actor=actor, occurred_at=now))
    if merged_into is not None:
        await uow.repo.add_step(case_id, event_type="CaseMerged", at=now, unit=None, note=merged_into, cycle=1)
        merged = CaseMerged(
            into_case_id=merged_into,
            category=category.code,
            region_code=region_code,
            region_path=path,
            received_at=received_at,
            channel=channel,
        )
        uow.emit(new_event(merged, case_id=case_id, producer="intake", actor=actor, occurred_at=now))
    await uow.commit()
    return Received(case_id, True, received_at, merged_into)


def _redacted(report: Report, ctx: IntakeContext) -> tuple[str, str | None]:
    """The description departments read (personal data redacted) and, when that changed it, the original sealed."""
    name = report.requester.name if isinstance(report, HotlineReportIn) else None
    return redact_and_seal(ctx.vault, report.description, names=[name])


def _open311_matter(report: Report) -> dict[str, Any]:
    """An Open311 request's media_url and attribute answers (free text redacted as the description is)."""
    if not isinstance(report, Open311ReportIn):
        return {}
    names = [report.requester.name] if report.requester.name else []
    answers = {code: [redact_personal(v, names=names) for v in values] for code, values in report.attributes.items()}
    return {
        "media_url": report.media_url,
        "attributes": json.dumps(answers, ensure_ascii=False) if answers else None,
    }


def _sealed(ctx: IntakeContext, text: str | None) -> str | None:
    return ctx.vault.seal(text) if text else None


def _stored_requester(report: Report, ctx: IntakeContext) -> dict[str, Any] | None:
    """The requester row: name and phone encrypted, the phone also hashed, never in the clear (GZ Art. 15; SZ Art. 19)."""
    if not isinstance(report, HotlineReportIn):
        return None  # a grid member reports on patrol; there is no citizen requester
    req = report.requester
    phone = req.phone
    contacts = {}
    if isinstance(report, Open311ReportIn):
        contacts = dict(
            email_encrypted=_sealed(ctx, report.email),
            device_id_encrypted=_sealed(ctx, report.device_id),
            account_id_encrypted=_sealed(ctx, report.account_id),
        )
    return dict(
        name_encrypted=_sealed(ctx, req.name),
        anonymous=req.anonymous,
        phone_encrypted=ctx.vault.encrypt(phone) if phone else None,
        phone_hash=ctx.vault.phone_hash(phone) if phone else None,
        **contacts,
    )
