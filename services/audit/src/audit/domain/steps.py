"""The steps of the closed loop (GZ Art. 17) and which event puts a case on which step."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class LoopStep(StrEnum):
    """A step of the closed loop; the value is the word the regulation uses."""

    ACCEPT = "受理"
    DISPATCH = "派单"
    HANDLE = "办理"
    REPLY = "答复"
    SUPERVISE = "督办"
    CLOSE = "办结"
    VISIT = "回访"
    EVALUATE = "评价"


# GZ Art. 17: 受理 → 派单 → 办理 → 答复 → 督办 → 办结 → 回访 → 评价.
LOOP_ORDER: tuple[LoopStep, ...] = tuple(LoopStep)

ENGLISH: Mapping[LoopStep, str] = MappingProxyType(
    {
        LoopStep.ACCEPT: "accept",
        LoopStep.DISPATCH: "dispatch",
        LoopStep.HANDLE: "handle",
        LoopStep.REPLY: "reply",
        LoopStep.SUPERVISE: "supervise",
        LoopStep.CLOSE: "close",
        LoopStep.VISIT: "visit",
        LoopStep.EVALUATE: "evaluate",
    }
)
_BY_ENGLISH: Mapping[str, LoopStep] = MappingProxyType({v: k for k, v in ENGLISH.items()})

# Event type -> the step its record entry carries. None: recorded, but not a loop step.
# One VisitRecorded yields two steps: its entry carries 回访 (the primary step) and the
# loop logic counts 评价 when the payload carries a satisfaction (see `evaluation_given`).
# A visit that did not reach the requester (联系不上, contacted false) is recorded as a 回访
# attempt but reaches neither step: the visit is tried again (see `unreached_visit`).
DEFAULT_STEP_MAP: Mapping[str, LoopStep | None] = MappingProxyType(
    {
        "CaseReceived": LoopStep.ACCEPT,
        # A merged request is still accepted on its own; its handling follows the main case.
        "CaseMerged": LoopStep.ACCEPT,
        "CaseDispatched": LoopStep.DISPATCH,
        "CaseSentToCoordination": LoopStep.DISPATCH,
        "CaseCoordinated": LoopStep.DISPATCH,
        "CaseTransferred": LoopStep.DISPATCH,
        "CaseReturned": LoopStep.DISPATCH,
        "CaseAccepted": LoopStep.HANDLE,
        "CaseProgressNoted": LoopStep.HANDLE,
        "CaseSuspended": LoopStep.HANDLE,
        "CaseResumed": LoopStep.HANDLE,
        "CaseReplied": LoopStep.REPLY,
        "SupervisionActionIssued": LoopStep.SUPERVISE,
        "SlaWarningIssued": LoopStep.SUPERVISE,
        "SupervisionActionResolved": LoopStep.SUPERVISE,
        "CaseClosed": LoopStep.CLOSE,
        "VisitRecorded": LoopStep.VISIT,
        "CaseReopened": None,
        "ClocksUpdated": None,
        "PatternWarningRaised": None,
    }
)

VISIT_EVENT = "VisitRecorded"


def step_for(event_type: str, mapping: Mapping[str, LoopStep | None] = DEFAULT_STEP_MAP) -> LoopStep | None:
    """The step a record entry of this event type carries, or None when it is not a loop step."""
    return mapping.get(event_type)


def unreached_visit(event_type: str, payload: Mapping[str, Any] | None) -> bool:
    """Whether the event is a return visit that did not reach the requester (联系不上: visited again later)."""
    return event_type == VISIT_EVENT and payload is not None and payload.get("contacted") is False


def evaluation_given(event_type: str, payload: Mapping[str, Any] | None) -> bool:
    """Whether the event also yields 评价: a return visit that reached the requester and carries a satisfaction."""
    return (
        event_type == VISIT_EVENT
        and payload is not None
        and payload.get("satisfaction") is not None
        and not unreached_visit(event_type, payload)
    )


def steps_of(
    event_type: str,
    payload: Mapping[str, Any] | None,
    mapping: Mapping[str, LoopStep | None] = DEFAULT_STEP_MAP,
) -> tuple[LoopStep, ...]:
    """Every loop step the event yields, primary step first (a rated visit yields 回访 and 评价, a visit that did not
    reach the requester none)."""
    primary = mapping.get(event_type)
    if primary is None or unreached_visit(event_type, payload):
        return ()
    if evaluation_given(event_type, payload):
        return (primary, LoopStep.EVALUATE)
    return (primary,)


def parse_step(text: str) -> LoopStep | None:
    """The step named by its Chinese word or English alias, or None."""
    try:
        return LoopStep(text)
    except ValueError:
        return _BY_ENGLISH.get(text.strip().lower())


def english(step: LoopStep) -> str:
    """The English alias of a step (accept, dispatch, ...)."""
    return ENGLISH[step]
