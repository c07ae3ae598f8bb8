"""What audit counts, it counts once: a batch whose transaction fails at COMMIT and is retried adds its entries to
caseflow_record_entries_total once, when it finally commits (and the record holds each entry once)."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY

from caseflow_common.testing import failing_commits


def entries_counted(step: str) -> float:
    return REGISTRY.get_sample_value("caseflow_record_entries_total", {"step": step}) or 0.0


async def test_a_batch_that_fails_at_commit_and_is_retried_is_counted_once(audit: Any):
    warm_up = audit.new_case()
    await audit.publish(audit.whole_loop(warm_up, audit.clock())[0])
    await audit.entries_of(warm_up, 1)  # the consumer is up and recording
    before = entries_counted("受理")
    case_id = audit.new_case()
    runtime = audit.svc.runtime
    with failing_commits(runtime.engine, runtime.processed.name) as failures:
        await audit.publish(audit.whole_loop(case_id, audit.clock())[0])
        entries = await audit.entries_of(case_id, 1)
    assert failures.failed == 1, "the batch's first commit was made to fail"
    assert [e["step"] for e in entries] == ["受理"]
    assert entries_counted("受理") == before + 1
