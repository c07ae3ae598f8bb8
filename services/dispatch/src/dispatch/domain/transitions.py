"""The transition table of a work case in dispatch, and what a return leads to.

| action                | from                               | to                                   |
|-----------------------|------------------------------------|--------------------------------------|
| dispatch              | received, reopened                 | dispatched                           |
| send_to_coordination  | received, reopened                 | coordinating                         |
| coordinate            | coordinating                       | dispatched (to the lead, 主办)        |
| escalate              | coordinating                       | coordinating (the next level up)     |
| accept (签收)          | dispatched                         | accepted                             |
| return_ (退单)         | dispatched, accepted               | received (awaiting re-dispatch / coordination) |
| transfer (移送)        | dispatched, accepted, in_progress  | dispatched (to the other unit)       |
| refer (提请协调)        | dispatched, accepted, in_progress  | coordinating                         |
| notify_police         | accepted, in_progress, suspended   | unchanged (public security gets a linked case) |
| note_progress         | accepted, in_progress              | in_progress                          |
| suspend               | accepted, in_progress              | suspended                            |
| resume                | suspended                          | the state it was suspended from      |
| reply (答复)           | accepted, in_progress              | replied                              |
| close (办结)           | replied                            | closed                               |
| reopen                | replied, closed                    | reopened (new cycle)                 |
| merge (并单)           | received, dispatched, coordinating | merged (final)                       |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from caseflow_common.contracts.status import CaseStatus

DEFAULT_MAX_RETURNS = 2
S = CaseStatus
HANDLING = frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_PROGRESS})


class NextStep(StrEnum):
    """What happens to a case after a return."""

    REDISPATCH = "redispatch"
    COORDINATION = "coordination"


# action -> (states it is allowed from, the reason shown when it is not)
TRANSITIONS: dict[str, tuple[frozenset[CaseStatus], str]] = {
    "dispatch": (frozenset({S.RECEIVED, S.REOPENED}), "only a received or reopened case can be dispatched"),
    "send_to_coordination": (
        frozenset({S.RECEIVED, S.REOPENED}),
        "only a received or reopened case can be sent to coordination",
    ),
    "coordinate": (frozenset({S.COORDINATING}), "only a case under coordination can be given a lead department"),
    "escalate": (frozenset({S.COORDINATING}), "only a case under coordination can be passed up a level"),
    "accept": (frozenset({S.DISPATCHED}), "only a dispatched case can be signed for"),
    "return_": (frozenset({S.DISPATCHED, S.ACCEPTED}), "a case can be returned only before handling starts"),
    "transfer": (HANDLING, "a case can be transferred only while a department holds it and has not replied"),
    "refer": (HANDLING, "coordination can be asked for only while a department holds the case and has not replied"),
    "notify_police": (
        frozenset({S.ACCEPTED, S.IN_PROGRESS, S.SUSPENDED}),
        "public security can be notified only of a case signed for and not yet replied to",
    ),
    "note_progress": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), "progress can be noted only on a signed-for case"),
    "suspend": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), "only a case being handled can be suspended"),
    "resume": (frozenset({S.SUSPENDED}), "only a suspended case can be resumed"),
    "reply": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), "a case can be replied to only after it is signed for"),
    "close": (frozenset({S.REPLIED}), "a case can be closed only after a reply"),
    "reopen": (frozenset({S.REPLIED, S.CLOSED}), "only a replied or closed case can be reopened"),
    "merge": (
        frozenset({S.RECEIVED, S.DISPATCHED, S.COORDINATING}),
        "only a case not yet signed for can be merged into another",
    ),
}


@dataclass(frozen=True, slots=True)
class ReturnOutcome:
    """Result of a return: re-dispatch, or coordination once the returns reach the limit."""

    next_step: NextStep
    returns: int
    suggested_unit: str | None = None
