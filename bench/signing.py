"""Benchmark: what signing and verifying an event costs (Ed25519, caseflow_common.signing), in µs of CPU per event.

Envelopes shaped like a day's events (a hotline receipt with its requester, a dispatch, clocks, a reply, a visit)
are signed by a producer's key and verified by a consumer's keyring, as the outbox and the consumers do. It prints,
per event: the payload digest alone, the whole signature (canonical bytes + digest + Ed25519), the whole check
(the same bytes rebuilt + Ed25519 verify), the bare Ed25519 sign / verify of bytes of that size, and for scale the
envelope's parse (orjson + pydantic) and serialisation. CPU time (process_time), best of --rounds. Run on purpose:

    .venv/bin/python bench/signing.py [--events 5000] [--rounds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from caseflow_common.events import Actor, Envelope
from caseflow_common.signing import Keyring, Signer, payload_digest, signed_bytes, trusted_entries

CASE_ID = "GZ-2026-12-01-000123"
PAYLOADS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "intake",
        "CaseReceived",
        {
            "channel": "hotline",
            "kind": "complaint",
            "category": "env.noise.construction",
            "description": "夜间施工噪音扰民，多次反映仍未解决，影响居民正常生活（第123件）",
            "region_code": "440106001003",
            "location": {"address": "员村二横路5号", "lat": 23.1291, "lon": 113.3654},
            "received_at": "2026-12-01T09:30:00+08:00",
            "requester": {"name": "张伟", "phone": "13800138000", "anonymous": False},
        },
    ),
    ("dispatch", "CaseDispatched", {"unit": "GZ-TH-CG", "role": "lead", "rule_id": "r-17", "routing_version": 12}),
    (
        "escalation",
        "ClocksUpdated",
        {"clocks": [{"kind": "sign_for", "deadline": "2026-12-01T10:30:00+08:00", "state": "running"}] * 3},
    ),
    ("dispatch", "CaseReplied", {"unit": "GZ-TH-CG", "content": "经核查已处理完毕，已告知诉求人。", "resolved": True}),
    ("intake", "VisitRecorded", {"contacted": True, "satisfaction": "satisfied", "cycle": 1}),
)


def envelopes(n: int) -> list[Envelope]:
    start = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    out = []
    for i in range(n):
        producer, event_type, payload = PAYLOADS[i % len(PAYLOADS)]
        out.append(
            Envelope(
                event_id=uuid.uuid4(),
                event_type=event_type,
                occurred_at=start + timedelta(seconds=i),
                case_id=CASE_ID,
                producer=producer,
                correlation_id=CASE_ID,
                causation_id=str(uuid.uuid4()) if i % len(PAYLOADS) else None,
                actor=Actor(role="system", id=producer, unit=None),
                payload=payload,
            )
        )
    return out


def per_event_us(work: Callable[[], object], n: int, rounds: int) -> float:
    """Best CPU µs per event of `work` (which handles n events) over `rounds`."""
    best = float("inf")
    for _ in range(rounds):
        t = time.process_time()
        work()
        best = min(best, time.process_time() - t)
    return 1e6 * best / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args()
    n = args.events
    signers = {name: Signer.generate(f"{name}-bench") for name in ("intake", "dispatch", "escalation")}
    keyring = Keyring.from_public({k: (v["producer"], v["public_key"]) for k, v in trusted_entries(signers).items()})
    events = envelopes(n)
    for env in events:
        signers[env.producer].sign(env)
    raw = [env.to_bytes() for env in events]
    canonical = [signed_bytes(env) for env in events]
    signer = signers["intake"]
    public = keyring.keys[signer.key_id]
    signatures = [signer.sign_bytes(b) for b in canonical]

    def verify_all() -> None:
        for env in events:
            keyring.producer_of(env)

    def bare_verify() -> None:
        for sig, data in zip(signatures, canonical, strict=True):
            if not public.verifies(sig, data):
                raise AssertionError("a signature did not verify")

    figures = {
        "payload_digest_us": per_event_us(lambda: [payload_digest(e.payload) for e in events], n, args.rounds),
        "sign_us": per_event_us(lambda: [signers[e.producer].sign(e) for e in events], n, args.rounds),
        "verify_us": per_event_us(verify_all, n, args.rounds),
        "ed25519_sign_us": per_event_us(lambda: [signer.sign_bytes(b) for b in canonical], n, args.rounds),
        "ed25519_verify_us": per_event_us(bare_verify, n, args.rounds),
        "envelope_parse_us": per_event_us(lambda: [Envelope.from_bytes(r) for r in raw], n, args.rounds),
        "envelope_serialise_us": per_event_us(lambda: [e.to_bytes() for e in events], n, args.rounds),
        "envelope_bytes": sum(map(len, raw)) / n,
        "signed_bytes": sum(map(len, canonical)) / n,
    }
    print(f"signing cost per event ({n:,} events of {len(PAYLOADS)} kinds, best of {args.rounds}, CPU µs)")
    print(f"  envelope {figures['envelope_bytes']:.0f} B on the wire, {figures['signed_bytes']:.0f} B signed")
    rows = (
        ("sign (producer: canonical bytes + digest + Ed25519)", "sign_us"),
        ("verify (consumer: canonical bytes + digest + Ed25519)", "verify_us"),
        ("  of which payload digest (sha256 of sorted JSON)", "payload_digest_us"),
        ("  bare Ed25519 sign", "ed25519_sign_us"),
        ("  bare Ed25519 verify", "ed25519_verify_us"),
        ("for scale: envelope parse (orjson + pydantic)", "envelope_parse_us"),
        ("for scale: envelope serialise", "envelope_serialise_us"),
    )
    for label, key_name in rows:
        print(f"  {label:<56} {figures[key_name]:8.1f} µs")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
