"""What dispatch counts, it counts once: a batch whose transaction fails at COMMIT and is retried adds its routing
decision (and its dispatch latency) to the counters once, when it finally commits; and the latency is dispatch's own
(from intake's acceptance), whatever time the requester gave."""

from __future__ import annotations

from datetime import timedelta

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


async def test_the_dispatch_latency_runs_from_intakes_acceptance_not_from_the_requesters_own_time(dispatch):
    # The requester called three days ago (a backdated report); intake accepted it just now, at the harness's clock.
    def observed() -> tuple[float, float]:
        count = REGISTRY.get_sample_value("caseflow_dispatch_latency_seconds_count", {}) or 0.0
        return count, REGISTRY.get_sample_value("caseflow_dispatch_latency_seconds_sum", {}) or 0.0

    await dispatch.receive()
    count, total = observed()
    await dispatch.receive(received_at=dispatch.clock() - timedelta(days=3))
    after_count, after_total = observed()
    assert after_count == count + 1
    assert after_total - total < 1.0, "the latency counted the days before intake had the case"
