"""Every case event joins its case's hash-chained record, in causal order, exactly once.

Causal order across topics: one case's events come from three topics, so a CaseDispatched can
arrive before the CaseReceived that caused it. An event whose `causation_id` is not recorded yet
is held (held_events) and appended right after its cause, so seq follows cause before effect. If
the cause has not come within `causal_hold_s` (it was lost or dead-lettered), the held event is
appended anyway, flagged `cause_missing`. Entries are only ever appended; exactly-once comes from
the consumer's processed_events check plus the unique event_id of entries and held events.

Proof of origin: the consumer verified the producer's signature before this runs. Each entry keeps
that signature, its key id, the signed identity and the digest of the payload as it arrived —
computed here before requester fields are stripped, since the signature covers the raw payload.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from datetime import datetime

import orjson

from audit import metrics
from audit.context import RecordRules
from audit.domain.chain import next_entry
from audit.domain.decided import decided_by
from audit.domain.loop import LoopEvent, LoopFold, LoopStatus, fold_key
from audit.domain.privacy import strip_personal
from audit.domain.steps import step_for
from audit.facts import apply_facts
from audit.uow import AuditUnitOfWork
from caseflow_common.contracts.dispatch import DIRECTORY_RECORD
from caseflow_common.events import Envelope
from caseflow_common.signing import payload_digest

log = logging.getLogger(__name__)


def actor_text(env: Envelope) -> str:
    """The actor as the canonical JSON the chain hashes."""
    return orjson.dumps(env.actor.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS).decode()


def stripped(env: Envelope, personal_fields: Collection[str]) -> Envelope:
    """The envelope without requester data: nothing personal is stored, held or hashed."""
    return env.model_copy(update={"payload": strip_personal(env.payload, personal_fields)})


async def receive(env: Envelope, uow: AuditUnitOfWork, rules: RecordRules) -> None:
    """Record the event now, or hold it until its cause is recorded."""
    event_id = str(env.event_id)
    if await uow.records.recorded(event_id) or await uow.records.is_held(event_id):
        return  # a replay that outlived processed_events: nothing changes
    digest = env.payload_sha256()  # of the payload the producer signed (as verified), before anything is stripped
    env = stripped(env, rules.personal_fields)
    cause = env.causation_id
    if cause and not await uow.records.recorded(cause):
        await uow.records.hold(event_id, env.case_id, cause, env.model_dump_json(), uow.clock(), digest)
        log.info("event held for its cause", extra={"event_type": env.event_type})
        return
    await record_with_dependents(env, digest, uow, rules, cause_missing=False)


async def release_overdue(uow: AuditUnitOfWork, event_id: str, rules: RecordRules) -> bool:
    """Record a held event whose cause never came (flagged); False when it was taken meanwhile."""
    taken = await uow.records.release(event_id)
    if taken is None:
        return False
    log.warning("cause never recorded; event recorded without it")
    text, digest = taken
    await record_with_dependents(Envelope.model_validate_json(text), digest, uow, rules, cause_missing=True)
    return True


async def record_with_dependents(
    env: Envelope, digest: str | None, uow: AuditUnitOfWork, rules: RecordRules, *, cause_missing: bool
) -> None:
    """Append the event, then every held event it caused (transitively), causes first."""
    queue = [(env, digest, cause_missing)]
    while queue:
        current, current_digest, flagged = queue.pop(0)
        await append(current, current_digest, uow, rules, cause_missing=flagged)
        queue += [
            (Envelope.model_validate_json(text), held_digest, False)
            for text, held_digest in await uow.records.release_waiting_on(str(current.event_id))
        ]


def origin_columns(env: Envelope, digest: str | None) -> dict[str, object]:
    """What an entry keeps of the event's proof of origin besides key id and signature (which the chain hashes)."""
    return {
        "producer": env.producer,
        "version": env.version,
        "correlation_id": env.correlation_id,
        "causation_id": env.causation_id,
        "signed_digest": digest,
    }


async def append(
    env: Envelope, digest: str | None, uow: AuditUnitOfWork, rules: RecordRules, *, cause_missing: bool
) -> None:
    """Append one (already stripped) event to its case's chain and refresh the case's facts and loop; ``digest`` is
    that of its payload as it arrived (what its signature covers)."""
    if digest is None:  # held before held events kept the digest (0003): right unless personal fields were stripped
        digest = payload_digest(env.payload)
    step = step_for(env.event_type, rules.loop_policy.step_map)
    entry = next_entry(
        await uow.records.head(env.case_id),
        case_id=env.case_id,
        event_id=str(env.event_id),
        event_type=env.event_type,
        step=step,
        actor=actor_text(env),
        at=env.occurred_at,
        decided_by=decided_by(env.event_type, env.payload, rules.deciders),
        payload=env.payload,
        key_id=env.key_id,
        signature=env.signature,
    )
    await uow.records.append(
        entry, recorded_at=uow.clock(), cause_missing=cause_missing, origin=origin_columns(env, digest)
    )
    uow.after_commit(metrics.RECORD_ENTRIES.labels(step or "other").inc)  # a retried batch counts once
    if env.case_id == DIRECTORY_RECORD:
        return  # the directory's own record (DirectoryChanged): chained and verifiable, but no case, loop or figure
    await apply_facts(env, uow.facts, rules.clock_kinds)
    if not uow.loops_due:
        uow.before_commit(lambda: refresh_due_loops(uow, rules))
    uow.loops_due.pop(env.case_id, None)
    uow.loops_due[env.case_id] = None


async def refresh_due_loops(uow: AuditUnitOfWork, rules: RecordRules) -> None:
    """At commit: the loop status of every case an entry was appended to, once per case however many entries it
    got (each from the whole record as it is then, so the same as after its last entry), and of the requests merged
    into those cases (they follow their main case)."""
    due, uow.loops_due = list(uow.loops_due), {}
    # Set-based: which cases are merged into the due ones, the folds of all of them, then those of the main cases
    # the merged ones among them follow, one statement each; the statuses (with the folds they came from) written in
    # one statement at the end (a case saved twice keeps its last status).
    await uow.facts.preload_merged(due)
    joined = {case_id: [m for m in await uow.facts.merged_into(case_id) if m != case_id] for case_id in due}
    reads = LoopReads(uow, rules)
    await reads.load([*due, *(m for merged in joined.values() for m in merged)])
    await reads.load(reads.main_cases())
    statuses: dict[str, LoopStatus] = {}
    for case_id in due:
        status = await reads.status(case_id)
        statuses.pop(case_id, None)
        statuses[case_id] = status
        for merged in joined[case_id]:
            statuses.pop(merged, None)
            statuses[merged] = await reads.status(merged, main=status)
    await uow.loops.save_all(
        [
            {
                "case_id": case_id,
                "complete": status.complete,
                "missing": ",".join(str(s) for s in status.missing),
                "cycle": status.cycle,
                "closed_at": status.closed_at,
                **reads.kept(case_id),
            }
            for case_id, status in statuses.items()
        ],
        now=uow.clock(),
    )


def _loop_event(event_type: str, at: str, payload: str) -> LoopEvent:
    """What the loop takes of an entry, from its stored columns (an entry appended here as it will be stored)."""
    return LoopEvent(event_type, datetime.fromisoformat(at), orjson.loads(payload))


class LoopReads:
    """Loop statuses from the record, within one unit of work: each case's loop folded over its record once (many
    at a time with ``load``), and the status of a main case that merged requests follow computed once.

    A case's loop row keeps the fold as of an entry (``LoopFold``, 0004): a case is folded on from there with the
    entries appended to it in this unit of work, and its record is read and folded in full only when the kept fold
    does not reach them (no fold kept, one kept under another loop policy, or entries it has not taken that are not
    in this unit of work: written before the fold was kept, or by another writer).
    """

    def __init__(self, uow: AuditUnitOfWork, rules: RecordRules) -> None:
        self.uow, self.policy, self.now = uow, rules.loop_policy, uow.clock()
        self._key = fold_key(self.policy)
        self._folds: dict[str, LoopFold] = {}
        self._seq: dict[str, int] = {}  # the entry each fold has taken last (0: an empty record)
        self._own: dict[str, LoopStatus] = {}  # a main case's status as it stands on its own (merge not followed)

    async def load(self, case_ids: Iterable[str]) -> None:
        """Fold the loops of these cases (those not folded yet): their kept folds in one statement, the records of
        those whose fold does not reach their last entry in another."""
        wanted = [case_id for case_id in dict.fromkeys(case_ids) if case_id not in self._folds]
        if not wanted:
            return
        kept = await self.uow.records.loop_folds_of(wanted)
        unread: list[str] = []
        for case_id in wanted:
            last_seq, text, fold_seq = kept.get(case_id, (0, None, None))
            fold, at = LoopFold(), 0
            if text is not None and fold_seq is not None and (data := orjson.loads(text)).get("key") == self._key:
                fold, at = LoopFold.from_json(data["fold"]), fold_seq
            tail = [e for e in self.uow.records.appended(case_id) if e.seq > at]
            if at > last_seq or [e.seq for e in tail] != list(range(at + 1, last_seq + 1)):
                unread.append(case_id)  # the fold does not reach the record's end from what is here: fold it anew
                continue
            for e in tail:
                fold.add(_loop_event(e.event_type, str(e.at), str(e.payload)), self.policy)
            self._folds[case_id], self._seq[case_id] = fold, last_seq
        if unread:
            for case_id, rows in (await self.uow.records.loop_inputs_of(unread)).items():
                fold = LoopFold()
                for r in rows:
                    fold.add(_loop_event(r.event_type, r.at, r.payload), self.policy)
                self._folds[case_id], self._seq[case_id] = fold, rows[-1].seq if rows else 0

    def kept(self, case_id: str) -> dict[str, object]:
        """The loop row's fold columns for a folded case (the fold as of its last entry)."""
        fold = orjson.dumps({"key": self._key, "fold": self._folds[case_id].to_json()}).decode()
        return {"fold": fold, "fold_seq": self._seq[case_id]}

    def merged_into(self, case_id: str) -> str | None:
        """The case its record says it was merged into (a folded case), or None."""
        return self._folds[case_id].merge_into(case_id)

    def main_cases(self) -> list[str]:
        """The main cases the folded cases were merged into."""
        return [into for case_id in list(self._folds) if (into := self.merged_into(case_id)) is not None]

    async def status(self, case_id: str, main: LoopStatus | None = None) -> LoopStatus:
        """The case's loop status; a merged case follows its main case (``main``, or the one its record names)."""
        await self.load([case_id])
        if main is None and (into := self.merged_into(case_id)) is not None:
            if (main := self._own.get(into)) is None:
                await self.load([into])
                main = self._own[into] = self._folds[into].status(self.now, self.policy)
        return self._folds[case_id].status(self.now, self.policy, main=main)


async def loop_of(case_id: str, uow: AuditUnitOfWork, rules: RecordRules) -> LoopStatus:
    """The loop status of a case from its record (a merged case follows its main case)."""
    return await LoopReads(uow, rules).status(case_id)
