"""What handlers and routes share: the versioned directory, the routing store and the rules cities configure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from zoneinfo import ZoneInfo

from dispatch.directory_store import DirectoryStore
from dispatch.reference import Reference
from dispatch.routing_store import RoutingStore
from dispatch.stream import ChangeFeed, StreamLimits


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

    @property
    def reference(self) -> Reference:
        """The directory in force now (units, regions) with the category catalogue."""
        return self.directory.reference
