"""audit HTTP API (API.md, audit)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from caseflow_common.auth import Principal, Role, require
from caseflow_common.errors import not_found
from audit.orm import entries

router = APIRouter()


@router.get("/v1/records/{case_id}", tags=["record"], summary="The case's record, every entry in order")
async def get_record(case_id: str, request: Request,
                     _: Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.HOTLINE))]) -> dict:
    runtime = request.app.state.runtime
    async with runtime.sessions() as s:
        rows = (await s.execute(select(entries).where(entries.c.case_id == case_id).order_by(entries.c.seq))).all()
    if not rows:
        raise not_found(f"record of case {case_id}")
    items = [{"seq": r.seq, "step": r.step, "event_type": r.event_type,
              "actor": {"role": r.actor_role, "id": r.actor_id, "unit": r.actor_unit},
              "at": r.at.isoformat(), "hash": r.hash, "prev_hash": r.prev_hash} for r in rows]
    return {"case_id": case_id, "entries": items}
