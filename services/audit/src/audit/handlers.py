"""Every case event joins its case's hash-chained record, in causal order, exactly once.

Causal order across topics: one case's events come from three topics, so a CaseDispatched can
arrive before the CaseReceived that caused it. An event whose `causation_id` is not recorded yet
is held (held_events) and appended right after its cause, so seq follows cause before effect. If
the cause has not come within `causal_hold_s` (it was lost or dead-lettered), the held event is
appended anyway, flagged `cause_missing`. Entries are only ever appended; exactly-once comes from
the consumer's processed_events check plus the unique event_id of entries and held events.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson

from audit import metrics
from audit.domain.chain import next_entry
from audit.domain.decided import DEFAULT_DECIDERS, decided_by
from audit.domain.loop import DEFAULT_LOOP_POLICY, LoopEvent, LoopPolicy, LoopStatus, loop_status
from audit.domain.privacy import DEFAULT_PERSONAL_FIELDS, strip_personal
from audit.domain.steps import step_for
from audit.facts import ClockKinds, apply_facts
from audit.uow import AuditUnitOfWork
from caseflow_common.events import Envelope
from caseflow_common.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordRules:
    """The city's choices the recorder applies."""

    personal_fields: Collection[str] = DEFAULT_PERSONAL_FIELDS
    deciders: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_DECIDERS)
    loop_policy: LoopPolicy = DEFAULT_LOOP_POLICY
    clock_kinds: ClockKinds = field(default_factory=ClockKinds)


def actor_text(env: Envelope) -> str:
    """The actor as the canonical JSON the chain hashes."""
    return orjson.dumps(env.actor.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS).decode()


class Recorder:
    """The consumer's handler for every event type: record now, or hold until the cause is recorded."""

    def __init__(self, rules: RecordRules) -> None:
        self.rules = rules

    def stripped(self, env: Envelope) -> Envelope:
        """The envelope without requester data: nothing personal is stored, held or hashed."""
        return env.model_copy(update={"payload": strip_personal(env.payload, self.rules.personal_fields)})

    async def __call__(self, env: Envelope, uow: UnitOfWork) -> None:
        event_id = str(env.event_id)
        if await uow.records.recorded(event_id) or await uow.records.is_held(event_id):
            return  # a replay that outlived processed_events: nothing changes
        env = self.stripped(env)
        cause = env.causation_id
        if cause and not await uow.records.recorded(cause):
            await uow.records.hold(event_id, env.case_id, cause, env.model_dump_json(), uow.clock())
            log.info("event held for its cause", extra={"event_type": env.event_type})
            return
        await self.record_with_dependents(env, uow, cause_missing=False)

    async def release_overdue(self, uow: AuditUnitOfWork, event_id: str) -> bool:
        """Record a held event whose cause never came (flagged); False when it was taken meanwhile."""
        text = await uow.records.release(event_id)
        if text is None:
            return False
        log.warning("cause never recorded; event recorded without it")
        await self.record_with_dependents(Envelope.model_validate_json(text), uow, cause_missing=True)
        return True

    async def record_with_dependents(self, env: Envelope, uow: AuditUnitOfWork, *, cause_missing: bool) -> None:
        """Append the event, then every held event it caused (transitively), causes first."""
        queue = [(env, cause_missing)]
        while queue:
            current, flagged = queue.pop(0)
            await self.append(current, uow, cause_missing=flagged)
            queue += [
                (Envelope.model_validate_json(t), False)
                for t in await uow.records.release_waiting_on(str(current.event_id))
            ]

    async def append(self, env: Envelope, uow: AuditUnitOfWork, *, cause_missing: bool) -> None:
        """Append one (already stripped) event to its case's chain and refresh the case's facts and loop."""
        step = step_for(env.event_type, self.rules.loop_policy.step_map)
        entry = next_entry(
            await uow.records.head(env.case_id),
            case_id=env.case_id,
            event_id=str(env.event_id),
            event_type=env.event_type,
            step=step,
            actor=actor_text(env),
            at=env.occurred_at,
            decided_by=decided_by(env.event_type, env.payload, self.rules.deciders),
            payload=env.payload,
        )
        await uow.records.append(entry, recorded_at=uow.clock(), cause_missing=cause_missing)
        metrics.RECORD_ENTRIES.labels(step or "other").inc()
        await apply_facts(env, uow.facts, self.rules.clock_kinds)
        await self.refresh_loop(env.case_id, uow)

    async def refresh_loop(self, case_id: str, uow: AuditUnitOfWork) -> LoopStatus:
        """Recompute and store the case's loop status, and that of the cases merged into it."""
        status = await self.loop_of(case_id, uow)
        await uow.loops.save(
            case_id,
            complete=status.complete,
            missing=[str(s) for s in status.missing],
            cycle=status.cycle,
            closed_at=status.closed_at,
            now=uow.clock(),
        )
        for merged in await uow.facts.merged_into(case_id):
            if merged != case_id:
                sub = await self.loop_of(merged, uow, main=status)
                await uow.loops.save(
                    merged,
                    complete=sub.complete,
                    missing=[str(s) for s in sub.missing],
                    cycle=sub.cycle,
                    closed_at=sub.closed_at,
                    now=uow.clock(),
                )
        return status

    async def loop_of(
        self, case_id: str, uow: AuditUnitOfWork, main: LoopStatus | None = None, follow_merge: bool = True
    ) -> LoopStatus:
        """The loop status of a case from its record (a merged case follows its main case)."""
        rows = await uow.records.loop_inputs(case_id)
        events = [LoopEvent(r.event_type, datetime.fromisoformat(r.at), orjson.loads(r.payload)) for r in rows]
        policy = self.rules.loop_policy
        if main is None and follow_merge:
            into = next(
                (e.payload.get("into_case_id") for e in events if e.event_type == policy.merge_event and e.payload),
                None,
            )
            if into and into != case_id:
                main = await self.loop_of(into, uow, follow_merge=False)
        return loop_status(events, uow.clock(), policy, main=main)


def loop_policy(visit_grace_hours: float) -> LoopPolicy:
    """The default loop rules with the configured return-visit grace."""
    return LoopPolicy(visit_grace=timedelta(hours=visit_grace_hours))


async def record(env: Envelope, uow: AuditUnitOfWork, recorder: Recorder) -> None:
    """Every event of every topic goes into the record (the recorder is audit's context)."""
    await recorder(env, uow)
