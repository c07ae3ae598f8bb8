"""A case as the calling unit sees it: a unit reaches only the cases it handles, assists or coordinates.

A case outside the caller's scope is reported as not found, so its existence does not leak (SZ Art. 18).
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.case_file import CaseFile
from dispatch.repository import CaseRepository


class CaseNotFound(Exception):
    """No such case in the caller's scope."""


@dataclass
class Scoped:
    """A case and the calling unit's role on it."""

    file: CaseFile
    role: str  # sole / lead / assisting / coordination (the handler's own role when it holds the case)


async def load_scoped(cases: CaseRepository, case_id: str, unit: str | None) -> Scoped:
    """The case if the unit handles, assists or coordinates it; CaseNotFound otherwise."""
    file = await cases.get(case_id)
    if file is None or not unit:
        raise CaseNotFound(case_id)
    if file.case.unit == unit:
        return Scoped(file, file.case.role)
    role = await cases.assignment_role(case_id, unit)
    if role is None:
        raise CaseNotFound(case_id)
    return Scoped(file, role)


async def role_after_action(cases: CaseRepository, file: CaseFile, unit: str | None) -> str:
    """The calling unit's role on a case it just acted on ("none" once the case left its hands)."""
    if file.case.unit == unit:
        return file.case.role
    return await cases.assignment_role(file.case.case_id, unit or "") or "none"
