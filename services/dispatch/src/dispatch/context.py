"""What handlers and routes share: the versioned directory, the routing store and the rules cities configure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from caseflow_common.group_commit import GroupCommit
from dispatch.directory_store import DirectoryStore
from dispatch.reference import Reference
from dispatch.routing_store import RoutingStore
from dispatch.stream import ChangeFeed, StreamLimits

if TYPE_CHECKING:
    from dispatch.commands import Action
    from dispatch.scope import Scoped


@dataclass(frozen=True)
class DispatchContext:
    """The versioned directory and routing table, the configurable limits, the city's zone and the feed that wakes
    this process's live streams."""

    directory: DirectoryStore
    routing: RoutingStore
    max_returns: int = 2
    crime_unit_kind: str = "public_security"
    city_zone: tzinfo = ZoneInfo("Asia/Shanghai")
    changes: ChangeFeed = field(default_factory=ChangeFeed)
    stream: StreamLimits = field(default_factory=StreamLimits)
    # A department's everyday actions, written in groups (commands.act; the metric's writer "dispatch_actions").
    action_writes: GroupCommit[Action, Scoped] = field(default_factory=lambda: GroupCommit("dispatch_actions"))

    @property
    def reference(self) -> Reference:
        """The directory in force now (units, regions) with the category catalogue."""
        return self.directory.reference
