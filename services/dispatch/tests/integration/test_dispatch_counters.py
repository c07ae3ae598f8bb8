"""What dispatch counts, it counts once: a batch whose transaction fails at COMMIT and is retried adds its routing
decision (and its dispatch latency) to the counters once, when it finally commits."""

from __future__ import annotations

from prometheus_client import REGISTRY

from caseflow_common.testing import failing_commits


def counted() -> tuple[float, float]:
    def value(name: str, labels: dict[str, str]) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    return (
        value("caseflow_cases_dispatched_total", {"target_kind": "department", "reason": "rule"}),
        value("caseflow_dispatch_latency_seconds_count", {}),
    )


async def test_a_batch_that_fails_at_commit_and_is_retried_is_counted_once(dispatch):
    await dispatch.receive()  # the consumer is up and routing
    before = counted()
    runtime = dispatch.svc.runtime
    with failing_commits(runtime.engine, runtime.processed.name) as failures:
        await dispatch.receive()
    assert failures.failed == 1, "the batch's first commit was made to fail"
    assert counted() == tuple(b + 1 for b in before)
