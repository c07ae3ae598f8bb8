"""Return visits (回访) and evaluation (评价) closing the loop (GZ Art. 17)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from caseflow_common.contracts.intake import Satisfaction
from caseflow_common.contracts.status import CaseStatus
from intake.domain.bodies import AwareDatetime, Body


class VisitIn(Body):
    """Body of POST /v1/cases/{case_id}/visits."""

    contacted: bool = Field(description="Whether the requester was reached.", examples=[True])
    satisfaction: Satisfaction | None = Field(
        default=None, description="The evaluation; none when the requester was not reached.", examples=["satisfied"]
    )
    comment: str = Field(default="", max_length=2000, description="What the requester said.")
    visited_at: AwareDatetime | None = Field(
        default=None,
        description="When the call took place, with offset; omit for now. Not in the future, not weeks back.",
        examples=["2026-11-21T15:00:00+08:00"],
    )


@dataclass(frozen=True, slots=True)
class PriorAttempt:
    """What a visit of the same cycle already recorded: whether it reached the requester."""

    contacted: bool


def visit_refusal(status: str) -> str | None:
    """Why a visit cannot be recorded on a case in this status, or None when it can (only closed cases)."""
    if CaseStatus(status) is not CaseStatus.CLOSED:
        return f"a return visit needs a closed case; this case is {status}"
    return None


def next_attempt(prior: Sequence[PriorAttempt]) -> int | None:
    """The number of the next visit attempt of a cycle, or None once an attempt reached the requester.

    A requester who could not be reached (联系不上) is called again; each attempt is kept, and the cycle's visit is
    done only when one of them reaches the requester (DOMAIN.md, clarifications of 2026-11-30; GZ Art. 17).
    """
    if any(p.contacted for p in prior):
        return None
    return len(prior) + 1


def visited_before_closure(visited_at: datetime, closed_at: datetime | None) -> str | None:
    """Why a stated visit time is refused against the closure it follows (回访 comes after 办结), or None."""
    if closed_at is not None and visited_at < closed_at:
        return f"the visit cannot precede the closure of the case ({closed_at.isoformat()})"
    return None


def reopens(visit: VisitIn) -> bool:
    """True when the visit sends the case back for another handling cycle (a dissatisfied evaluation)."""
    return visit.satisfaction is Satisfaction.DISSATISFIED
