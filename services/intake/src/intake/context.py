"""What intake's handlers need besides the unit of work: the directory, the phone vault and the configured rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from caseflow_common.directory import CategoryRecord, RegionRecord
from caseflow_common.uow import UnitOfWork
from intake.domain.regions import DEFAULT_REPORTABLE_LEVELS
from intake.privacy import PhoneVault
from intake.repository import IntakeRepository


@dataclass(frozen=True)
class IntakeContext:
    """Reference data and configuration, built once in bootstrap."""

    categories: Mapping[str, CategoryRecord]
    regions: Mapping[str, RegionRecord]
    vault: PhoneVault
    case_number_prefix: str = "GZ"
    repeat_distance_m: float = 100.0
    reportable_levels: frozenset[str] = DEFAULT_REPORTABLE_LEVELS
    withheld_view_roles: frozenset[str] = field(default_factory=lambda: frozenset({"hotline"}))
    expected_clock: str = "handling"


class IntakeUnitOfWork(UnitOfWork):
    """The unit of work with intake's repository attached."""

    repo: IntakeRepository

    def _on_enter(self) -> None:
        self.repo = IntakeRepository(self.session)
