"""The record of a case, its verification, and the cases whose closed loop is open (GZ Art. 17)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query

from audit import metrics, recording
from audit.api.deps import RecordReader, Runtime, Supervisor
from audit.api.errors import invalid_request, record_not_found
from audit.domain.chain import utc, verify_chain
from audit.domain.steps import parse_step
from audit.origin import ENTRY_COLUMNS, check_origin, origin_view
from caseflow_common.http import PageParams, page_params

router = APIRouter()


def _entry(r: Any) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "step": r.step,
        "event_type": r.event_type,
        "event_id": r.event_id,
        "actor": orjson.loads(r.actor),
        "at": r.at,
        "decided_by": r.decided_by,
        "payload": orjson.loads(r.payload),
        "hash": r.hash,
        "prev_hash": r.prev_hash,
        "cause_missing": r.cause_missing,
        "producer": r.producer,
        "key_id": r.key_id,
        "signature": r.signature,
        "signed_digest": r.signed_digest,
    }


@router.get("/v1/records/{case_id}", tags=["record"], summary="The case's record, every entry in order")
async def get_record(case_id: str, runtime: Runtime, _: RecordReader) -> dict[str, Any]:
    """Every entry of the case's record in seq order, each with its producer's proof of origin (`producer`, `key_id`,
    `signature`, `signed_digest`: null on entries recorded before origin proofs), and whether its closed loop is
    complete (GZ Art. 17)."""
    async with runtime.uow() as uow:
        await uow.read_snapshot()  # the entries and the loop computed from them, as of one moment
        rows = await uow.records.entries_of(case_id)
        if not rows:
            raise record_not_found(case_id)
        status = await recording.loop_of(case_id, uow, runtime.context.rules)
    loop = {
        "complete": status.complete,
        "missing": [str(s) for s in status.missing],
        "overdue": status.overdue,
        "cycle": status.cycle,
    }
    return {"case_id": case_id, "entries": [_entry(r) for r in rows], "loop": loop}


@router.get(
    "/v1/records/{case_id}/verify", tags=["record"], summary="Recompute the case's hash chain and check each origin"
)
async def verify_record(case_id: str, runtime: Runtime, _: Supervisor) -> dict[str, Any]:
    """Recompute every hash of the case's chain and verify every entry's producer signature (its key must belong to
    the entry's producer). `first_bad_seq` names the first entry that fails either check; `chain` and `origin` say
    which, `origin.problems` why. Entries recorded before origin proofs count as `unsigned_before_proofs` and do not
    fail; an unsigned entry after a signed one does."""
    async with runtime.uow() as uow:
        rows = await uow.records.chain(case_id, ENTRY_COLUMNS)
    if not rows:
        raise record_not_found(case_id)
    chain = verify_chain(rows)
    origin = check_origin(rows, runtime.context.origin_keys)
    if not chain.valid:
        metrics.CHAIN_VERIFICATION_FAILURES.inc()
    if not origin.valid:
        metrics.ORIGIN_VERIFICATION_FAILURES.inc()
    bad = [s for s in (chain.first_bad_seq, origin.first_bad_seq) if s is not None]
    return {
        "case_id": case_id,
        "valid": chain.valid and origin.valid,
        "entries": chain.entries,
        "first_bad_seq": min(bad, default=None),
        "chain": {"valid": chain.valid, "first_bad_seq": chain.first_bad_seq},
        "origin": origin_view(origin),
    }


@router.get("/v1/loops/open", tags=["loops"], summary="Cases whose closed loop is not complete")
async def open_loops(
    runtime: Runtime,
    _: Supervisor,
    paging: Annotated[PageParams, Depends(page_params)],
    step: Annotated[
        str | None, Query(description="only loops missing this step (受理 ... 评价 or accept ... evaluate)")
    ] = None,
    overdue: Annotated[
        bool, Query(description="only closed cases whose return visit is past the grace period")
    ] = False,
) -> dict[str, Any]:
    """Open loops by case id, each with its missing steps; overdue once 办结 is older than the visit grace."""
    wanted = None
    if step is not None:
        wanted = parse_step(step)
        if wanted is None:
            raise invalid_request("step", f"unknown loop step {step!r}", "not a loop step")
    cutoff = runtime.clock() - runtime.context.rules.loop_policy.visit_grace
    async with runtime.uow() as uow:
        total, rows = await uow.loops.open_page(
            step=None if wanted is None else str(wanted),
            closed_before=cutoff if overdue else None,
            overdue_cutoff=cutoff,
            offset=paging.offset,
            limit=paging.page_size,
        )
    items = [
        {
            "case_id": r.case_id,
            "missing": r.missing.split(",") if r.missing else [],
            "missing_step": r.missing.split(",")[0] if r.missing else None,
            "cycle": r.cycle,
            "closed_at": None if r.closed_at is None else utc(r.closed_at).isoformat(),
            "overdue": bool(r.overdue),
        }
        for r in rows
    ]
    return {"items": items, "total": total, "page": paging.page, "page_size": paging.page_size}
