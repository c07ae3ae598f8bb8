"""Benchmark: verify per-case audit hash chains in memory and print entries per second.

Run: PYTHONPATH=services/audit/src python bench/audit_verify.py [--entries N] [--per-case K] [--at-text]
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime, timedelta

from audit.domain.chain import ChainEntry, next_entry, verify_chain
from audit.domain.steps import step_for

EVENTS = (
    ("CaseReceived", {"channel": "hotline", "category": "noise", "region_code": "440106001"}),
    ("CaseDispatched", {"unit": "GZ-TH-CG", "rule_id": "r-17", "routing_version": 12, "cycle": 1}),
    ("ClocksUpdated", {"clocks": [{"kind": "close", "deadline": "2024-05-08T10:00:00+08:00", "state": "running"}]}),
    ("CaseAccepted", {"unit": "GZ-TH-CG", "at": "2024-05-01T09:30:00+08:00"}),
    ("CaseReplied", {"unit": "GZ-TH-CG", "content": "已处理，噪音源已整改", "resolved": True}),
    ("CaseClosed", {"unit": "GZ-TH-CG", "resolved": True}),
    ("VisitRecorded", {"contacted": True, "satisfaction": "satisfied", "cycle": 1}),
)


def build(entries: int, per_case: int, at_text: bool) -> list[list[ChainEntry]]:
    """Chains of `per_case` entries each, `entries` in all, shaped as repository rows."""
    chains: list[list[ChainEntry]] = []
    start = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
    made = 0
    while made < entries:
        case_id = str(uuid.uuid4())
        head = None
        chain: list[ChainEntry] = []
        for i in range(min(per_case, entries - made)):
            event_type, payload = EVENTS[i % len(EVENTS)]
            head = next_entry(
                head,
                case_id=case_id,
                event_id=str(uuid.uuid4()),
                event_type=event_type,
                step=step_for(event_type),
                actor="department:u-1029@GZ-TH-CG",
                at=start + timedelta(minutes=made + i),
                decided_by="routing:v12",
                payload=payload,
            )
            # A repository returns `at` as a datetime unless the column is the canonical text.
            chain.append(head if at_text else head._replace(at=datetime.fromisoformat(str(head.at))))
        made += len(chain)
        chains.append(chain)
    return chains


def main() -> None:
    """Build, verify, print the figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--per-case", type=int, default=20)
    parser.add_argument("--at-text", action="store_true", help="rows carry `at` as canonical text, not datetime")
    args = parser.parse_args()

    t0 = time.perf_counter()
    chains = build(args.entries, args.per_case, args.at_text)
    built = time.perf_counter() - t0

    t0 = time.perf_counter()
    total = 0
    for chain in chains:
        result = verify_chain(chain)
        if not result.valid:
            raise SystemExit(f"chain of {chain[0].case_id} failed at seq {result.first_bad_seq}")
        total += result.entries
    took = time.perf_counter() - t0
    print(f"built {total:,} entries in {len(chains):,} chains in {built:.1f} s")
    print(f"verified {total:,} entries in {took:.2f} s: {total / took:,.0f} entries/s")


if __name__ == "__main__":
    main()
