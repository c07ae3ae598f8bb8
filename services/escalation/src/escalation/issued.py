"""The contracts' closed lists as escalation's own inputs take them: only the values escalation issues.

``Rung`` and ``PatternKind`` carry ``other`` for readers of a newer producer's events; a policy document or a filter
that names ``other`` (or anything else escalation never issues) is refused as invalid input.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

from caseflow_common.contracts.escalation import PatternKind, Rung

RAISED_KINDS = tuple(k for k in PatternKind if k is not PatternKind.OTHER)


def _only(values: tuple[StrEnum, ...]) -> Callable[[object], object]:
    known = [v.value for v in values]
    message = "Input should be " + ", ".join(repr(v) for v in known[:-1]) + f" or {known[-1]!r}"

    def check(value: object) -> object:
        if value not in known:
            raise ValueError(message)
        return value

    return check


def _schema(values: tuple[StrEnum, ...]) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": [v.value for v in values]})


IssuedRung = Annotated[Rung, BeforeValidator(_only(Rung.ladder())), _schema(Rung.ladder())]
RaisedPatternKind = Annotated[PatternKind, BeforeValidator(_only(RAISED_KINDS)), _schema(RAISED_KINDS)]
