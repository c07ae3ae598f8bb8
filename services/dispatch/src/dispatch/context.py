"""What handlers and routes share: reference data, the routing store and the rules cities configure."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.reference import Reference
from dispatch.routing_store import RoutingStore


@dataclass(frozen=True)
class DispatchContext:
    """Reference data, the versioned routing table and the configurable limits."""

    reference: Reference
    routing: RoutingStore
    max_returns: int = 2
    crime_unit_kind: str = "public_security"
