"""Keep a case's stored clocks equal to a replay of its facts, and tell others when they change.

Clocks already met are history and stay as they were; running clocks follow the current policy and calendar,
which is how a calendar or policy change reaches them (DOMAIN.md: change the calendar, recompute).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from caseflow_common.contracts.escalation import ClocksUpdated
from caseflow_common.contracts.intake import Channel
from caseflow_common.events import Envelope
from escalation.clock_store import action_from_row, clock_from_row, clock_to_row, current_views, row_differs
from escalation.config import Config
from escalation.domain.clock import Clock, ClockError
from escalation.domain.policy import ClockKind
from escalation.domain.replay import DEFAULT_ASSISTING_KINDS, CaseFact, FactKind, replay
from escalation.domain.timer import next_due_at
from escalation.publishing import emit
from escalation.uow import EscalationUnitOfWork

log = logging.getLogger(__name__)

# Channels without a policy of their own (e.g. open311) are held to the hotline's promises.
FALLBACK_CHANNEL = Channel.HOTLINE


def _policy_facts(facts: list[CaseFact], cfg: Config) -> list[CaseFact]:
    """Facts ready for replay: receipt first (intake and dispatch arrive on different topics, and a dispatch may
    carry the same or an earlier instant), and a channel without a policy held to the hotline's."""
    received = next((f for f in facts if f.kind is FactKind.RECEIVED), None)
    out = []
    for f in facts:
        if f.channel is not None and cfg.policies.select(f.channel, f.category, f.urgency) is None:
            f = replace(f, channel=FALLBACK_CHANNEL)
        if f.kind is not FactKind.RECEIVED and received is not None and f.at < received.at:
            f = replace(f, at=received.at)
        out.append(f)
    return sorted(out, key=lambda f: (f.at, f.kind is not FactKind.RECEIVED))


def _one_per_key(clocks: list[Clock]) -> list[Clock]:
    """One clock per (cycle, kind, leg), the later one winning (a leg's name is unique by construction)."""
    return list({(c.cycle, c.kind.value, c.leg): c for c in clocks}.values())


async def refresh_case(
    uow: EscalationUnitOfWork,
    cfg: Config,
    case_id: str,
    now: datetime,
    causation: Envelope | None = None,
    assisting_kinds: Collection[ClockKind] = DEFAULT_ASSISTING_KINDS,
) -> bool:
    """Recompute the case's running clocks from its facts; emit ClocksUpdated when anything changed."""
    return bool(await refresh_cases(uow, cfg, {case_id: causation}, now, assisting_kinds))


async def refresh_cases(
    uow: EscalationUnitOfWork,
    cfg: Config,
    causes: Mapping[str, Envelope | None],
    now: datetime,
    assisting_kinds: Collection[ClockKind] = DEFAULT_ASSISTING_KINDS,
) -> int:
    """Recompute these cases' running clocks from their facts: the changed clocks of all of them written in one
    statement, the stale ones deleted in one, then one ClocksUpdated per case that changed (caused by the event
    given for it). Returns how many cases changed."""
    repo = uow.repo
    changes: list[dict[str, Any]] = []
    stale: list[int] = []
    changed: list[str] = []
    for case_id in causes:
        planned = await _plan(uow, cfg, case_id, assisting_kinds)
        if planned is not None and (planned[0] or planned[1]):
            changes.extend(planned[0])
            stale.extend(planned[1])
            changed.append(case_id)
    if not changed:
        return 0
    await repo.save_clocks(changes)
    await repo.delete_clocks(stale)
    for case_id in changed:
        stored = [clock_from_row(r, cfg.calendar) for r in await repo.clock_rows([case_id])]
        emit(uow, ClocksUpdated(clocks=current_views(stored, now)), case_id, now, causes[case_id])
    return len(changed)


async def _plan(
    uow: EscalationUnitOfWork, cfg: Config, case_id: str, assisting_kinds: Collection[ClockKind]
) -> tuple[list[dict[str, Any]], list[int]] | None:
    """The clock rows to write and the stored ids to delete so that the case's running clocks equal a replay of
    its facts; None when its facts cannot be replayed (logged)."""
    repo = uow.repo
    rows = {(r.cycle, r.kind, r.leg): r for r in await repo.clock_rows([case_id], lock=True)}
    facts = _policy_facts(await repo.facts(case_id), cfg)
    try:
        replayed = _one_per_key(replay(case_id, facts, cfg.calendar, cfg.policies, assisting_kinds))
    except (ClockError, LookupError, OverflowError) as exc:
        log.warning("clocks not recomputable", extra={"case_id": case_id, "reason": str(exc)})
        return None
    issued = [action_from_row(a) for a in await repo.actions_of_cases([case_id])]
    changes, keep = [], set()
    for clock in replayed:
        key = (clock.cycle, clock.kind.value, clock.leg)
        keep.add(key)
        old = rows.get(key)
        if old is not None and old.met_at is not None:
            continue  # history: a met clock keeps the policy and calendar it was met under
        values = clock_to_row(clock, next_due_at(clock, issued, cfg.ladder))
        if old is None or row_differs(old, values):
            changes.append(values)
            if clock.provisional and (old is None or not old.provisional):
                log.warning(
                    "provisional deadline: the calendar of its year is not published yet",
                    extra={"case_id": case_id, "clock": clock.kind.value, "deadline": clock.deadline.isoformat()},
                )
    stale = [r.id for k, r in rows.items() if k not in keep and r.met_at is None]
    return changes, stale
