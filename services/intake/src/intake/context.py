"""What intake was built with besides its tables: the directory, the phone vault and the configured rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from caseflow_common.directory import CategoryRecord, RegionRecord
from caseflow_common.directory_copy import DirectoryCopy
from caseflow_common.group_commit import GroupCommit
from intake.domain.open311 import DiscoveryInfo
from intake.domain.regions import DEFAULT_REPORTABLE_LEVELS
from intake.domain.times import TimeLimits
from intake.privacy import PhoneVault
from intake.ratelimit import RateLimits

if TYPE_CHECKING:
    from intake.commands import Received, Submission


@dataclass(frozen=True)
class IntakeContext:
    """Reference data and configuration, built once in bootstrap (the region directory follows dispatch's changes)."""

    categories: Mapping[str, CategoryRecord]
    # The region directory: the files with dispatch's DirectoryChanged versions in force (GZ Art. 5; SZ Art. 8).
    directory: DirectoryCopy
    vault: PhoneVault
    case_number_prefix: str = "GZ"
    public_listing: bool = True  # the public Open311 listing is served
    public_level: str = "street"  # the finest region level the public sees of a case's place
    public_decimals: int = 3  # decimals of public coordinates
    rate_limits: RateLimits = field(default_factory=RateLimits)  # this process's per-client buckets
    repeat_distance_m: float = 100.0
    reportable_levels: frozenset[str] = DEFAULT_REPORTABLE_LEVELS
    withheld_view_roles: frozenset[str] = field(default_factory=lambda: frozenset({"hotline"}))
    whistleblower_view_roles: frozenset[str] = frozenset()  # nobody sees a whistleblower unless named (GZ Art. 20)
    expected_clock: str = "handling"
    open311_keys: Mapping[str, str] = field(default_factory=dict)  # Open311 api_key -> principal subject
    discovery: DiscoveryInfo = field(default_factory=DiscoveryInfo)  # Open311 Service Discovery's texts
    time_limits: TimeLimits = field(default_factory=TimeLimits)  # how old / how far ahead a stated time may be
    # This process's queue of validated reports: those arriving while a group is written share the next transaction.
    report_writes: GroupCommit[Submission, Received] = field(default_factory=lambda: GroupCommit("intake_reports"))

    @property
    def regions(self) -> Mapping[str, RegionRecord]:
        """The regions in force now (a report may name a region added today, not one retired)."""
        return self.directory.snapshot().regions
