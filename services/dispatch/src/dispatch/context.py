"""What handlers and routes share: the versioned directory, the routing store and the rules cities configure."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.directory_store import DirectoryStore
from dispatch.reference import Reference
from dispatch.routing_store import RoutingStore


@dataclass(frozen=True)
class DispatchContext:
    """The versioned directory and routing table, and the configurable limits."""

    directory: DirectoryStore
    routing: RoutingStore
    max_returns: int = 2
    crime_unit_kind: str = "public_security"

    @property
    def reference(self) -> Reference:
        """The directory in force now (units, regions) with the category catalogue."""
        return self.directory.reference
