"""Which case statuses count as open (the vocabulary itself is caseflow_common.contracts.status.CaseStatus)."""

from __future__ import annotations

from caseflow_common.contracts.status import CaseStatus

# A merged case has joined another one; it is never itself the target of a repeat (并单).
NOT_OPEN: frozenset[CaseStatus] = frozenset({CaseStatus.CLOSED, CaseStatus.MERGED})


def is_open(status: str) -> bool:
    """True while the case still waits for its loop to close (and has not joined another case)."""
    return CaseStatus(status) not in NOT_OPEN
