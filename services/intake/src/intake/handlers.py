"""intake command handlers: report -> case + CaseReceived in one transaction (outbox)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from caseflow_common.contracts.intake import CaseReceived, MaskedRequester
from caseflow_common.directory import CategoryRecord, RegionRecord, region_path
from caseflow_common.errors import ApiError
from caseflow_common.events import Actor, new_event
from caseflow_common.uow import UnitOfWork
from intake.orm import cases, counters, requesters

CITY_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Received:
    case_id: str
    created: bool
    received_at: datetime


def fingerprint(body: dict) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def mask_phone(phone: str | None) -> str | None:
    if not phone or len(phone) < 7:
        return None
    return phone[:3] + "****" + phone[-4:]


async def _next_case_number(uow: UnitOfWork, prefix: str, at: datetime) -> str:
    day = at.astimezone(CITY_ZONE).strftime("%Y%m%d")
    name = f"case:{day}"
    res = await uow.session.execute(update(counters).where(counters.c.name == name)
                                    .values(value=counters.c.value + 1).returning(counters.c.value))
    value = res.scalar()
    if value is None:
        await uow.session.execute(insert(counters).values(name=name, value=1))
        value = 1
    return f"{prefix}-{day}-{value:06d}"


async def _existing(uow: UnitOfWork, channel: str, external_id: str):  # type: ignore[no-untyped-def]
    return (await uow.session.execute(select(cases.c.case_id, cases.c.fingerprint, cases.c.received_at)
                                      .where(cases.c.channel == channel, cases.c.external_id == external_id))).first()


async def receive_report(uow: UnitOfWork, *, channel: str, body: dict, category: CategoryRecord,
                         regions: dict[str, RegionRecord], actor: Actor, prefix: str) -> Received:
    """Store a report as a case and emit CaseReceived; the same external_id with the same body is idempotent."""
    fp = fingerprint(body)
    prior = await _existing(uow, channel, body["external_id"])
    if prior is not None:
        if prior.fingerprint != fp:
            raise ApiError(409, "external_id_conflict", "external_id was already used with a different body")
        return Received(prior.case_id, False, prior.received_at)
    now = uow.clock()
    received_at = datetime.fromisoformat(body["received_at"])
    case_id = await _next_case_number(uow, prefix, now)
    loc, req = body["location"], body.get("requester") or {}
    anonymous = bool(req.get("anonymous")) or category.whistleblower
    urgency = body.get("urgency") or category.default_urgency
    await uow.session.execute(insert(cases).values(
        case_id=case_id, channel=channel, external_id=body["external_id"], fingerprint=fp, kind=body["kind"],
        category=category.code, urgency=urgency, description=body["description"], region_code=loc["region_code"],
        address=loc.get("address", ""), received_at=received_at, created_at=now, status="received"))
    await uow.session.execute(insert(requesters).values(case_id=case_id, name=req.get("name"), phone=req.get("phone"),
                                                        anonymous=anonymous))
    payload = CaseReceived(
        channel=channel, external_id=body["external_id"], kind=body["kind"], category=category.code,
        category_name=category.name, urgency=urgency, description=body["description"],
        region_code=loc["region_code"], region_path=region_path(regions, loc["region_code"]),
        address=loc.get("address", ""), lat=loc.get("lat"), lon=loc.get("lon"), received_at=received_at,
        anonymous=anonymous, whistleblower=category.whistleblower,
        requester=None if anonymous else MaskedRequester(name=(req.get("name") or "")[:1] + "*" if req.get("name") else None,
                                                         phone=mask_phone(req.get("phone"))))
    uow.emit(new_event(payload, case_id=case_id, producer="intake", actor=actor, occurred_at=now))
    try:
        await uow.commit()
    except IntegrityError:
        # Two identical submissions raced; the other one won. Answer as the idempotent repeat.
        await uow.session.rollback()
        prior = await _existing(uow, channel, body["external_id"])
        if prior is None:
            raise
        if prior.fingerprint != fp:
            raise ApiError(409, "external_id_conflict", "external_id was already used with a different body") from None
        return Received(prior.case_id, False, prior.received_at)
    return Received(case_id, True, received_at)
