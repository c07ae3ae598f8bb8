"""Supervision by decision (GZ Art. 48 (1)-(6); SZ Art. 56): a supervisor issues a rung of the ladder by hand.

In the situations GZ Art. 48 lists (measures not carried out, hazards not rectified, repeated serious incidents,
a failed assessment, strong public concern left unanswered, others), the supervisor issues 通报 / 约谈 / 挂牌督办
(or any rung of the ladder) to a unit, naming one or several of its cases, and orders rectification by a deadline
(责令限期整改).  The action is one of the ladder's: the same rungs, the same record, resolved by the addressed unit
the same way; it does not climb by itself (each further step is the supervisor's decision, "根据情节轻重").
Its id is derived from the decision, so submitting the same decision twice issues it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from caseflow_common.contracts.escalation import Rung, SupervisionReason
from escalation.domain.calendar import UTC
from escalation.domain.ladder import SupervisionAction

_ID_NAMESPACE = uuid.UUID("3c9e7a51-0d2b-5f48-a6e1-7b4c2d9f0e13")
MAX_CASES = 200


class ManualActionError(ValueError):
    """A decision that cannot be issued as it stands, with each problem in words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ManualDecision:
    """What the supervisor decided: to whom, about which cases, which rung, why, and by when to rectify."""

    unit: str
    case_ids: tuple[str, ...]
    rung: Rung
    reason: SupervisionReason
    rectification_deadline: datetime
    issued_by: str
    note: str | None = None

    def problems(self, now: datetime, longest: timedelta) -> list[str]:
        """What keeps the decision from being issued at `now` (empty when it can be)."""
        found: list[str] = []
        if not self.case_ids:
            found.append("name at least one case")
        if len(self.case_ids) > MAX_CASES:
            found.append(f"name at most {MAX_CASES} cases")
        if self.rung not in Rung.ladder():
            found.append(f"rung {self.rung} is not one of the ladder's")
        if self.rectification_deadline.tzinfo is None:
            found.append("the rectification deadline needs a time zone")
        elif self.rectification_deadline <= now:
            found.append("the rectification deadline must lie in the future")
        elif self.rectification_deadline > now + longest:
            found.append(f"the rectification deadline may lie at most {longest.days} days ahead")
        # (六) 其他需要督促整改的情形: a situation the list does not name must be said in words.
        if self.reason is SupervisionReason.OTHER and not (self.note or "").strip():
            found.append("a decision for another situation (GZ Art. 48 (6)) needs a note saying which")
        return found


def _ordered(case_ids: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in case_ids if c))


def manual_action_id(decision: ManualDecision) -> str:
    """Deterministic per decision: unit, rung, cases, reason and deadline."""
    deadline = decision.rectification_deadline.astimezone(UTC).isoformat()
    cases = ",".join(sorted(_ordered(decision.case_ids)))
    key = f"manual|{decision.unit}|{decision.rung}|{cases}|{decision.reason}|{deadline}"
    return str(uuid.uuid5(_ID_NAMESPACE, key))


def issue_manual(
    decision: ManualDecision, *, cycle: int, now: datetime, policy_version: str, longest: timedelta
) -> SupervisionAction:
    """The action a decision issues at `now`, about the cycle its first case is in; raises ManualActionError."""
    decision = ManualDecision(
        decision.unit,
        _ordered(decision.case_ids),
        decision.rung,
        decision.reason,
        decision.rectification_deadline,
        decision.issued_by,
        (decision.note or "").strip() or None,
    )
    problems = decision.problems(now, longest)
    if problems:
        raise ManualActionError(problems)
    return SupervisionAction(
        manual_action_id(decision),
        decision.case_ids[0],
        cycle,
        None,
        decision.rung,
        decision.unit,
        now.astimezone(UTC),
        decision.rectification_deadline.astimezone(UTC),
        policy_version,
        False,
        decision.case_ids,
        manual=True,
        reason=decision.reason,
        note=decision.note,
        issued_by=decision.issued_by,
    )
