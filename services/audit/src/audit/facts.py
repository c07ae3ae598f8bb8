"""Events -> the facts the assessment reads (one row per case and unit; GZ Art. 47, 49; SZ Art. 55).

Every update is an upsert that tolerates any arrival order: first times keep the earliest value,
later answers (reply, close, evaluation) the latest, counts add up. District is the district of
the case's region as dispatch determined it (`district_code`), so a district's figures cover the
cases on its territory, whichever unit handled them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from audit.context import ClockKinds
from audit.facts_repository import FactsRepository
from caseflow_common.contracts.escalation import SupervisionActionIssued
from caseflow_common.events import Envelope


def _time(value: Any) -> datetime | None:
    """A payload time as an aware UTC datetime (payloads carry ISO text with an offset)."""
    if value is None:
        return None
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _district(payload: dict[str, Any]) -> str | None:
    return payload.get("district_code") or None


async def apply_facts(env: Envelope, repo: FactsRepository, kinds: ClockKinds) -> None:
    """Merge one recorded event into the facts tables."""
    p, case_id, kind = env.payload, env.case_id, env.event_type
    unit = p.get("unit")
    at = _time(p.get("at")) or _time(p.get("visited_at")) or env.occurred_at
    if kind in ("CaseReceived", "CaseMerged"):
        received = _time(p.get("received_at")) or env.occurred_at
        await repo.note_case(
            case_id,
            category=p.get("category"),
            region_code=p.get("region_code"),
            channel=p.get("channel"),
            received_at=received,
            merged_into=p.get("into_case_id"),
        )
        await repo.set_on_rows(
            case_id, received_at=received, category=p.get("category"), region_code=p.get("region_code")
        )
    elif kind in ("CaseDispatched", "CaseSentToCoordination") and unit:
        await repo.note_case(
            case_id,
            district=_district(p),
            category=p.get("category") or None,
            region_code=p.get("region_code") or None,
            received_at=_time(p.get("received_at")),
        )
        await repo.touch(case_id, unit, first={"dispatched_at": at, "district": _district(p)})
    elif kind == "CaseAccepted" and unit:
        await repo.touch(case_id, unit, first={"signed_at": at})  # 签收
    elif kind == "CaseReturned" and unit:
        await repo.touch(case_id, unit, add={"returns": 1})
    elif kind == "CaseTransferred" and unit:
        await repo.touch(case_id, unit, add={"transfers": 1})
    elif kind == "CaseReplied" and unit:
        await repo.touch(case_id, unit, latest={"replied_at": at, "resolved": p.get("resolved")})
    elif kind == "CaseClosed" and unit:
        await repo.touch(case_id, unit, latest={"closed_at": at, "resolved": p.get("resolved")})
    elif kind == "VisitRecorded":
        row_case, units = await _visited_rows(case_id, unit, repo)
        if p.get("contacted") is False:
            # 联系不上: every attempt that did not reach the requester is counted; it evaluates nothing.
            for u in units:
                await repo.touch(row_case, u, add={"unreached_visits": 1})
        elif p.get("satisfaction"):
            # Every evaluation is kept, one per cycle: a dissatisfied one still counts against the unit after the
            # reopened case is evaluated again (GZ Art. 17; DOMAIN clarification 2026-11-30).
            cycle = p["cycle"] if isinstance(p.get("cycle"), int) else 1
            for u in units:
                await repo.note_evaluation(case_id, row_case, u, cycle, str(p["satisfaction"]), at, str(env.event_id))
    elif kind == "ClocksUpdated":
        await _apply_clocks(case_id, p.get("clocks") or [], repo, kinds)
    elif kind == "SupervisionActionIssued":
        # The rung as the contract reads it: one a newer escalation added counts as `other` (the entry keeps it).
        rung = env.payload_as(SupervisionActionIssued).rung
        for named in p.get("case_ids") or [case_id]:
            await repo.note_action(p["action_id"], named, unit, rung, env.occurred_at)


async def _visited_rows(case_id: str, unit: str | None, repo: FactsRepository) -> tuple[str, list[str]]:
    """Whose handling a visit concerns: the unit that handled the cycle, else the units that answered. A merged
    request (并单) that no unit handled itself was answered by its main case's units: its requester's visit and
    evaluation count on the main case's rows, so the unit is rated by every requester of the one case it handled."""
    row_case = case_id
    if not await repo.units_of(case_id):
        case = await repo.case_row(case_id)
        if case is not None and case.merged_into:
            row_case = case.merged_into
    if unit:
        return row_case, [unit]
    return row_case, await repo.units_of(row_case, answered_only=True) or await repo.units_of(row_case)


async def _apply_clocks(case_id: str, clocks: list[dict[str, Any]], repo: FactsRepository, kinds: ClockKinds) -> None:
    columns = {kinds.sign_for: "sign_deadline", kinds.close: "close_deadline"}
    for clock in clocks:
        column = columns.get(clock.get("kind", ""))
        deadline = _time(clock.get("deadline"))
        if column is None or deadline is None:
            continue
        if clock.get("unit"):
            await repo.touch(case_id, clock["unit"], latest={column: deadline})
        else:  # a clock of the whole case binds whichever unit holds it, now or later
            await repo.note_case(case_id, **{column: deadline})
            await repo.set_on_rows(case_id, **{column: deadline})
