"""Domain errors of dispatch: each carries a human reason a department can read."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the dispatch domain refuses."""

    code: str = "domain_error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IllegalTransition(DomainError):
    """The action is not allowed in the case's current state."""

    code = "illegal_transition"


class NotYourCase(DomainError):
    """The acting unit is not the case's current handler."""

    code = "not_your_case"


class ValidationError(DomainError):
    """An argument is missing or malformed (e.g. an empty reason)."""

    code = "validation_error"


class UnknownCategory(DomainError, LookupError):
    """The category code is not in the catalogue."""

    code = "unknown_category"


class UnknownRegion(DomainError, LookupError):
    """The region code is not in the region tree."""

    code = "unknown_region"


class UnknownUnit(DomainError, LookupError):
    """The unit code is not in the unit directory."""

    code = "unknown_unit"
