"""What intake was built with besides its tables: the directory, the phone vault and the configured rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from caseflow_common.directory import CategoryRecord, RegionRecord
from intake.domain.regions import DEFAULT_REPORTABLE_LEVELS
from intake.privacy import PhoneVault


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
    open311_keys: Mapping[str, str] = field(default_factory=dict)  # Open311 api_key -> principal subject
