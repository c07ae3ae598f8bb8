"""A client may send its burst at once, then the steady rate; others are not held back by it."""

from __future__ import annotations

import pytest

from intake.ratelimit import Limit, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_the_next_request_waits_for_a_token():
    clock = Clock()
    buckets = TokenBuckets(Limit(per_minute=60, burst=3), clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    clock.now += 0.5
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") == 0.0


def test_tokens_come_back_at_the_steady_rate_and_never_past_the_burst():
    clock = Clock()
    buckets = TokenBuckets(Limit(per_minute=120, burst=2), clock=clock)
    buckets.take("a"), buckets.take("a")
    clock.now += 3600
    assert [buckets.take("a") for _ in range(3)][:2] == [0.0, 0.0]
    assert buckets.take("a") > 0


def test_each_client_has_its_own_bucket():
    buckets = TokenBuckets(Limit(per_minute=1, burst=1), clock=Clock())
    assert buckets.take("a") == 0.0 and buckets.take("a") == pytest.approx(60.0)
    assert buckets.take("b") == 0.0


def test_a_zero_limit_is_off():
    buckets = TokenBuckets(Limit(per_minute=0, burst=5), clock=Clock())
    assert all(buckets.take("a") == 0.0 for _ in range(100)) and len(buckets) == 0


def test_memory_is_bounded_by_forgetting_the_least_recent_clients():
    buckets = TokenBuckets(Limit(per_minute=1, burst=1), max_clients=2, clock=Clock())
    buckets.take("a"), buckets.take("b"), buckets.take("a"), buckets.take("c")
    assert len(buckets) == 2
    assert buckets.take("a") > 0  # remembered: still empty
    assert buckets.take("b") == 0.0  # forgotten: starts full again
