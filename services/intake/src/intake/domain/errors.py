"""Why intake refuses a command; the HTTP layer (api/errors.py) gives each its answer."""

from __future__ import annotations

from collections.abc import Sequence

from intake.domain.catalogue_rules import FieldError


class IntakeError(Exception):
    """A command intake refuses."""


class InvalidReport(IntakeError):
    """A syntactically valid report that the catalogue or the region directory refuses, every bad field named."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__(", ".join(".".join(str(p) for p in e.loc) for e in errors))
        self.errors = list(errors)


class InvalidVisit(InvalidReport):
    """A syntactically valid visit whose stated time the clock or the case refuses (answered like a report's)."""


class ExternalIdConflict(IntakeError):
    """The channel's external_id was already used with a different body."""


class CaseNotFound(IntakeError):
    """No case with this id."""


class EvaluationWithoutContact(IntakeError):
    """A satisfaction given for a requester who was not reached."""


class CaseNotClosed(IntakeError):
    """A return visit on a case that is not closed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AlreadyVisited(IntakeError):
    """The return visit of this handling cycle already reached the requester."""

    def __init__(self, cycle: int) -> None:
        super().__init__(f"cycle {cycle}")
        self.cycle = cycle
