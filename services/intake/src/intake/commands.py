"""Commands of intake: a report becomes a case (or a repeat linked to an open one); visits are in visit_commands.

Each command opens its unit of work and commits it there; its events go to the outbox in that transaction. Reports
are validated apart and written in groups: the reports waiting when the previous group committed share one unit of
work (``caseflow_common.group_commit``), each answered once it committed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.exc import IntegrityError

from caseflow_common.contracts.intake import CaseMerged, CaseReceived, Channel, MaskedRequester
from caseflow_common.contracts.status import CaseStatus
from caseflow_common.directory import CategoryRecord, region_path
from caseflow_common.events import Actor, new_event
from caseflow_common.group_commit import together_or_each
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


@dataclass(frozen=True)
class Submission:
    """A validated report waiting for its group's transaction (``IntakeContext.report_writes``)."""

    report: Report
    channel: Channel
    actor: Actor
    fingerprint: str


async def receive_report(rt: IntakeRuntime, report: Report, *, channel: Channel, actor: Actor) -> Received:
    """Store a report the catalogue accepts as a case, emit CaseReceived (+ CaseMerged for a repeat); idempotent.

    Answered once the case has committed: in a transaction of its own, or shared with the reports that arrived while
    the previous one was being written (group commit, ``caseflow_common.group_commit``)."""
    ctx = rt.context
    errors = validate_report(report, ctx.categories, ctx.regions, reportable_levels=ctx.reportable_levels)
    errors += report_time_errors(report, rt.clock(), ctx.time_limits)
    if errors:
        raise InvalidReport(errors)
    item = Submission(report, channel, actor, fingerprint(report))
    received = await ctx.report_writes.submit(item, partial(_write, rt))
    if not received.created:
        return received
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


async def _write(rt: IntakeRuntime, items: Sequence[Submission]) -> list[Received | BaseException]:
    """Write a group of reports in one transaction; when that fails (a resubmission among them, two identical
    submissions racing, the database refusing), each of them on its own, answering for itself."""
    name = rt.context.report_writes.name
    return await together_or_each(name, items, partial(_write_together, rt), partial(_write_one, rt))


async def _write_together(rt: IntakeRuntime, items: Sequence[Submission]) -> list[Received]:
    async with rt.uow() as uow:
        return await _store(uow, items, rt.context)


async def _write_one(rt: IntakeRuntime, item: Submission) -> Received | Exception:
    try:
        async with rt.uow() as uow:
            try:
                return (await _store(uow, [item], rt.context))[0]
            except IntegrityError:
                # The channel already made a case of this external_id (a resubmission, or two identical submissions
                # racing): the unique (channel, external_id) refused this one, and nothing of it stays. Answer with
                # that case, or 409 for a different body. A new report, the common one, so costs no lookup first.
                await uow.session.rollback()
                prior = await _existing(uow, item.channel, item.report.external_id, item.fingerprint)
                if prior is None:
                    raise
                return prior
    except Exception as exc:  # this request's own answer (409, 422, 503 ...)
        return exc


@dataclass(frozen=True)
class _Place:
    """Where a report is, as the directory reads it."""

    category: CategoryRecord
    region_code: str
    grid_code: str | None
    received_at: datetime


def _place_of(report: Report, ctx: IntakeContext) -> _Place:
    region_code = report_region_code(report, ctx.regions)
    if region_code is None:  # validated before; a guard, not a path
        raise InvalidReport([FieldError(("location",), "no region")])
    return _Place(
        ctx.categories[report.category],
        region_code,
        report_grid_code(report, region_code, ctx.regions),
        occurred_at(report).astimezone(UTC),
    )


async def _store(uow: IntakeUnitOfWork, items: Sequence[Submission], ctx: IntakeContext) -> list[Received]:
    """Number the cases, link each to an open case it repeats, write them with their events, commit."""
    now = uow.clock()
    places = [_place_of(item.report, ctx) for item in items]
    # The first write takes SQLite's write lock at once, so the reads below see every committed case; on PostgreSQL
    # a lock on (category, place) does the same for the only reports that could be repeats of each other (taken in
    # order, so two groups never wait on each other's).
    numbers = await uow.repo.next_sequences(f"case:{local_date(now):%Y%m%d}", len(items))
    for category_code, at in sorted({(p.category.code, p.grid_code or p.region_code) for p in places}):
        await uow.repo.lock_place(category_code, at)
    written: list[CaseSpot] = []  # this group's cases so far: a later report of the group may repeat one of them
    rows = _Rows()
    out = []
    for item, place, seq in zip(items, places, numbers, strict=True):
        case_id = case_number_for(ctx.case_number_prefix, now, seq)
        loc = item.report.location
        found = await repeat_lookup.candidates(
            uow.session,
            category=place.category.code,
            grid_code=place.grid_code,
            lat=loc.lat,
            lon=loc.lon,
            max_distance_m=ctx.repeat_distance_m,
            exclude=case_id,
        )
        spot = CaseSpot(case_id, place.category.code, place.received_at, place.grid_code, loc.lat, loc.lon)
        stored = [
            CaseSpot(r.case_id, r.category, aware(r.received_at), r.grid_code, r.lat, r.lon, r.status) for r in found
        ]
        repeat = find_repeat(spot, [*stored, *written], ctx.repeat_distance_m)
        merged_into = repeat.case_id if repeat is not None else None
        status = CaseStatus.MERGED if merged_into else CaseStatus.RECEIVED
        written.append(replace(spot, status=str(status)))
        rows.add(uow, item, place, case_id=case_id, merged_into=merged_into, status=status, now=now, ctx=ctx)
        out.append(Received(case_id, True, place.received_at, merged_into))
    await uow.repo.add_cases(rows.cases, rows.requesters, rows.statuses)
    await uow.repo.add_steps(rows.steps)
    await uow.commit()
    return out


@dataclass
class _Rows:
    """A group's rows, written at the end in one statement per table (and shape of row)."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    requesters: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        uow: IntakeUnitOfWork,
        item: Submission,
        place: _Place,
        *,
        case_id: str,
        merged_into: str | None,
        status: CaseStatus,
        now: datetime,
        ctx: IntakeContext,
    ) -> None:
        """One report's case, requester, projection row and steps; its events to the outbox."""
        report, channel, actor, category = item.report, item.channel, item.actor, place.category
        loc = report.location
        requester = report.requester if isinstance(report, HotlineReportIn) else None
        anonymous = bool(requester and requester.anonymous)
        withheld = identity_withheld(anonymous, category)
        urgency = effective_urgency(report.urgency, category)
        reporter_id = report.reporter_id if isinstance(report, GridReportIn) else None
        description, sealed = _redacted(report, ctx)
        self.cases.append(
            dict(
                case_id=case_id,
                channel=str(channel),
                external_id=report.external_id,
                fingerprint=item.fingerprint,
                kind=str(report.kind),
                category=category.code,
                urgency=str(urgency),
                description=description,
                description_sealed=sealed,
                region_code=place.region_code,
                grid_code=place.grid_code,
                address=loc.address,
                lat=loc.lat,
                lon=loc.lon,
                reporter_id=reporter_id,
                withheld=withheld,
                whistleblower=bool(category.whistleblower),
                received_at=place.received_at,
                created_at=now,
                merged_into=merged_into,
                submitted_by=actor.id,
                **_open311_matter(report),
            )
        )
        stored_requester = _stored_requester(report, ctx)
        if stored_requester is not None:
            self.requesters.append({"case_id": case_id, **stored_requester})
        self.statuses.append({"case_id": case_id, "status": str(status), "updated_at": now})
        step = {"case_id": case_id, "at": now, "unit": None, "cycle": 1}
        self.steps.append({**step, "event_type": "CaseReceived", "note": None})

        path = region_path(dict(ctx.regions), place.region_code)
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
            region_code=place.region_code,
            region_codes=loc.all_region_codes or [place.region_code],
            region_path=path,
            address=loc.address,
            lat=loc.lat,
            lon=loc.lon,
            received_at=place.received_at,
            anonymous=anonymous,
            whistleblower=category.whistleblower,
            requester=masked,
            reporter_id=reporter_id,
            repeat_of=merged_into,
        )
        uow.emit(new_event(received, case_id=case_id, producer="intake", actor=actor, occurred_at=now))
        if merged_into is not None:
            self.steps.append({**step, "event_type": "CaseMerged", "note": merged_into})
            merged = CaseMerged(
                into_case_id=merged_into,
                category=category.code,
                region_code=place.region_code,
                region_path=path,
                received_at=place.received_at,
                channel=channel,
            )
            uow.emit(new_event(merged, case_id=case_id, producer="intake", actor=actor, occurred_at=now))


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
