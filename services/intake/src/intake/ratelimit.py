"""Per-client token buckets for intake's write endpoints: a steady rate per minute and a burst on top.

Each process keeps its own buckets in memory: with N replicas behind a balancer a client may get up to N times the
configured rate. That bounds abuse per replica without a shared store; a city that needs one global figure puts
the limit in front of the replicas (the balancer or the gateway) as well.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Limit:
    """``per_minute`` requests a minute on average, up to ``burst`` at once; 0 in either turns the limit off."""

    per_minute: float
    burst: int

    @property
    def enabled(self) -> bool:
        """Whether the limit applies at all."""
        return self.per_minute > 0 and self.burst > 0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


class TokenBuckets:
    """One bucket per client key; the least recently seen keys are forgotten past ``max_clients`` (memory bound).

    A forgotten client starts again with a full bucket, which is what an idle client would have anyway.
    """

    def __init__(self, limit: Limit, *, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.limit, self.max_clients, self._clock = limit, max(1, max_clients), clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """Spend one token of ``key``'s bucket: 0.0 when the request may go ahead, else the seconds until it may."""
        limit = self.limit
        if not limit.enabled:
            return 0.0
        now = self._clock()
        rate = limit.per_minute / 60.0
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(float(limit.burst), now)
        else:
            bucket.tokens = min(float(limit.burst), bucket.tokens + max(0.0, now - bucket.stamp) * rate)
            bucket.stamp = now
        self._buckets[key] = bucket  # most recently seen last
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate


@dataclass(frozen=True)
class RateLimits:
    """The buckets of one intake process: authenticated writes (per principal) and Open311 POSTs (per key/address)."""

    writes: TokenBuckets = field(default_factory=lambda: TokenBuckets(Limit(0, 0)))
    open311: TokenBuckets = field(default_factory=lambda: TokenBuckets(Limit(0, 0)))
