"""The use cases the API calls: each opens the unit of work and commits there (routes never commit, reads never do).

Saving a policy or calendar version recomputes running clocks under it (DOMAIN.md: change the calendar, recompute),
case by case in small transactions, so a large backlog never holds one long lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import Row, Table

from caseflow_common.auth import Principal
from caseflow_common.contracts.escalation import SupervisionActionResolved
from caseflow_common.events import new_event
from escalation import metrics
from escalation.calendar_doc import CalendarDocument
from escalation.clock_store import action_from_row, action_to_row, clock_from_row
from escalation.config import Config
from escalation.domain.ladder import ActionStatus, uncountable_periods
from escalation.domain.manual import ManualActionError, ManualDecision, issue_manual
from escalation.domain.replay import parties_of
from escalation.domain.timer import next_due_at
from escalation.gauges import refresh_gauges
from escalation.policy_doc import PolicyDocument
from escalation.publishing import PRODUCER, manual_issued_event
from escalation.repository import CALENDAR_VERSIONS, POLICY_VERSIONS
from escalation.tracking import refresh_cases
from escalation.uow import EscalationRuntime

log = logging.getLogger(__name__)

CASES_PER_TRANSACTION = 200


class NotFound(LookupError):
    """No such thing in the caller's scope (another unit's case or action does not exist for it, SZ Art. 18)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class Unprocessable(ValueError):
    """A request the service understood but cannot carry out as it stands (422), with each problem in words."""

    def __init__(self, code: str, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.code, self.message, self.problems = code, message, problems


class UnusablePolicies(ValueError):
    """A policy document whose policies or ladder cannot be applied."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the policy set is not usable")
        self.problems = problems


@dataclass(frozen=True)
class Saved:
    """The version a document was stored as, and how many cases' running clocks changed under it."""

    version: int
    recomputed_cases: int


async def recompute_running_clocks(runtime: EscalationRuntime) -> int:
    """Replay every case that has a running clock under the current rules; the number of cases changed."""
    store = runtime.context.config
    after, changed = "", 0
    while True:
        async with runtime.uow() as uow:
            cfg = await store.refresh(uow.repo)
            case_ids = await uow.repo.running_case_ids(after, CASES_PER_TRANSACTION)
            await uow.repo.preload(case_ids)  # their clocks, facts and actions: one statement each
            kinds = runtime.context.assisting_kinds
            changed += await refresh_cases(uow, cfg, dict.fromkeys(case_ids), uow.clock(), kinds)
            await uow.commit()
        if len(case_ids) < CASES_PER_TRANSACTION:
            break
        after = case_ids[-1]
    log.info("running clocks recomputed", extra={"cases_changed": changed})
    return changed


async def _save_version(
    runtime: EscalationRuntime, table: Table, current: Callable[[Config], int], document: BaseModel, by: str
) -> Saved:
    """Store the next version of a document, then recompute running clocks under it."""
    async with runtime.uow() as uow:
        cfg = await runtime.context.config.refresh(uow.repo)
        version = max(current(cfg), await uow.repo.latest_version(table) or 0) + 1
        await uow.repo.add_version(table, version, document.model_dump(mode="json"), runtime.clock(), by)
        await uow.commit()
    return Saved(version, await recompute_running_clocks(runtime))


async def _current(runtime: EscalationRuntime) -> Config:
    async with runtime.uow() as uow:
        return await runtime.context.config.refresh(uow.repo)


async def save_policies(runtime: EscalationRuntime, document: PolicyDocument, by: str) -> Saved:
    """Save a new policy version; running clocks are recomputed under it (met clocks keep theirs)."""
    problems = document.problems()
    if not problems:
        policies, ladder = document.to_domain(0)
        problems = uncountable_periods((await _current(runtime)).calendar, policies, ladder, runtime.clock())
    if problems:
        raise UnusablePolicies(problems)
    return await _save_version(runtime, POLICY_VERSIONS, lambda c: c.policy_version, document, by)


async def save_calendar(runtime: EscalationRuntime, document: CalendarDocument, by: str) -> Saved:
    """Save a new calendar version; running clocks, provisional ones above all, are recomputed on it."""
    cfg = await _current(runtime)
    problems = uncountable_periods(document.to_domain(0), cfg.policies, cfg.ladder, runtime.clock())
    if problems:
        raise Unprocessable("invalid_calendar", "the rules' deadlines cannot be counted on this calendar", problems)
    saved = await _save_version(runtime, CALENDAR_VERSIONS, lambda c: c.calendar_version, document, by)
    await refresh_gauges(runtime)
    return saved


async def resolve_action(runtime: EscalationRuntime, action_id: str, who: Principal, rectification: str) -> Row:
    """The addressed unit reports its rectification (整改); in time, it stops the climb. Resolving twice is a no-op."""
    store = runtime.context.config
    now = runtime.clock()
    async with runtime.uow() as uow:
        repo = uow.repo
        row = await repo.action(action_id, lock=True)
        if row is None or row.unit != who.unit:
            raise NotFound("supervision action")
        if row.status == ActionStatus.RESOLVED:
            return row
        await repo.resolve_action(action_id, at=now, by=who.subject, rectification=rectification)
        uow.emit(
            new_event(
                SupervisionActionResolved(
                    action_id=action_id, rung=row.rung, unit=row.unit, rectification=rectification, resolved_at=now
                ),
                case_id=row.case_id,
                producer=PRODUCER,
                actor=who.actor,
                occurred_at=now,
            )
        )
        # The clock's next moment depends on whether this rung was rectified in time.
        cfg = await store.refresh(repo)
        actions = [action_from_row(a) for a in await repo.actions_of_cases([row.case_id])]
        for c in await repo.clock_rows([row.case_id], lock=True):
            if c.cycle == row.cycle and c.kind == row.clock_kind and c.leg == row.leg:
                await repo.set_next_due([(c.id, next_due_at(clock_from_row(c, cfg.calendar), actions, cfg.ladder))])
        await uow.commit()
        resolved = await repo.action(action_id)
    if resolved is None:
        raise NotFound("supervision action")
    return resolved


@dataclass(frozen=True)
class Issued:
    """A manual action and whether this call issued it (False: the same decision was issued before)."""

    row: Row
    created: bool


async def issue_manual_action(runtime: EscalationRuntime, decision: ManualDecision, who: Principal) -> Issued:
    """A supervisor issues a rung by decision (GZ Art. 48 (1)-(6)) to a unit about cases it handles or handled;
    the same decision twice issues it once."""
    ctx, now = runtime.context, runtime.clock()
    if not ctx.coordination.knows_unit(decision.unit):
        raise Unprocessable("unknown_unit", "the directory has no such unit", [f"unit {decision.unit!r}"])
    async with runtime.uow() as uow:
        repo = uow.repo
        problems, cycle = [], 1
        for n, case_id in enumerate(dict.fromkeys(decision.case_ids)):
            case = await repo.case(case_id)
            facts = await repo.facts(case_id) if case is not None else []
            if case is None or decision.unit not in parties_of(case_id, facts).reached:
                problems.append(f"case {case_id!r} was never with unit {decision.unit!r}")
            elif n == 0:
                cycle = case.cycle
        if problems:
            raise Unprocessable("case_not_of_unit", "a named case is not one of the unit's", problems)
        cfg = await ctx.config.refresh(repo)
        try:
            action = issue_manual(
                decision,
                cycle=cycle,
                now=now,
                policy_version=str(cfg.policy_version),
                longest=ctx.limits.manual_rectification,
            )
        except ManualActionError as exc:
            raise Unprocessable("invalid_decision", "the decision cannot be issued as it stands", exc.problems) from exc
        inserted = await repo.insert_actions([action_to_row(action, cfg.policy_version)])
        if action.id in inserted:
            uow.emit(
                new_event(
                    manual_issued_event(action),
                    case_id=action.case_id,
                    producer=PRODUCER,
                    actor=who.actor,
                    occurred_at=now,
                )
            )
            uow.after_commit(metrics.SUPERVISION_ACTIONS.labels(action.rung.value).inc)
        await uow.commit()
        row = await repo.action(action.id)
    if row is None:
        raise NotFound("supervision action")
    log.info("supervision issued by decision", extra={"action_id": action.id, "rung": action.rung.value})
    return Issued(row, action.id in inserted)
