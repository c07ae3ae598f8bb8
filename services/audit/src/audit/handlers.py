"""audit event handlers: every case event is appended to its case's hash-chained record."""

from __future__ import annotations

import hashlib

import orjson
from sqlalchemy import insert, select

from caseflow_common.events import Envelope
from caseflow_common.uow import UnitOfWork
from audit.orm import entries

GENESIS = "0" * 64
STEPS = {"CaseReceived": "受理", "CaseDispatched": "派单", "CaseSentToCoordination": "派单"}


async def append_entry(env: Envelope, uow: UnitOfWork) -> None:
    """Append one event to the case's record, chained to the previous entry's hash."""
    last = (await uow.session.execute(select(entries.c.seq, entries.c.hash).where(entries.c.case_id == env.case_id)
                                      .order_by(entries.c.seq.desc()).limit(1))).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    payload = orjson.dumps(env.payload, option=orjson.OPT_SORT_KEYS)
    body = orjson.dumps({"seq": seq, "case_id": env.case_id, "event_id": str(env.event_id),
                         "event_type": env.event_type, "at": env.occurred_at.isoformat()}, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(prev.encode() + body + payload).hexdigest()
    await uow.session.execute(insert(entries).values(
        case_id=env.case_id, seq=seq, event_id=str(env.event_id), event_type=env.event_type,
        step=STEPS.get(env.event_type), actor_role=env.actor.role, actor_id=env.actor.id, actor_unit=env.actor.unit,
        at=env.occurred_at, payload=payload, prev_hash=prev, hash=digest))
