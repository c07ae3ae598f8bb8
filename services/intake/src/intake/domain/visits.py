"""Return visits (回访) and evaluation (评价) closing the loop (GZ Art. 17)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from caseflow_common.contracts.intake import Satisfaction
from caseflow_common.contracts.status import CaseStatus


class VisitIn(BaseModel):
    """Body of POST /v1/cases/{case_id}/visits."""

    model_config = ConfigDict(extra="ignore")

    contacted: bool = Field(description="Whether the requester was reached.", examples=[True])
    satisfaction: Satisfaction | None = Field(
        default=None, description="The evaluation; none when the requester was not reached.", examples=["satisfied"]
    )
    comment: str = Field(default="", max_length=2000, description="What the requester said.")


def visit_refusal(status: str) -> str | None:
    """Why a visit cannot be recorded on a case in this status, or None when it can (only closed cases)."""
    if CaseStatus(status) is not CaseStatus.CLOSED:
        return f"a return visit needs a closed case; this case is {status}"
    return None


def reopens(visit: VisitIn) -> bool:
    """True when the visit sends the case back for another handling cycle (a dissatisfied evaluation)."""
    return visit.satisfaction is Satisfaction.DISSATISFIED
