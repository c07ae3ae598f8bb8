"""Which rule or policy version decided an event: the `decided_by` of its record entry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

# Event type -> payload fields naming the deciding rule/policy, in the order they are shown.
# Fields are also looked for in the items of `clocks` (ClocksUpdated carries one policy per clock).
DEFAULT_DECIDERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "CaseDispatched": ("routing_version", "rule_id"),
        "CaseSentToCoordination": ("routing_version",),
        "ClocksUpdated": ("policy_version",),
        "SlaWarningIssued": ("policy_version",),
        "SupervisionActionIssued": ("policy_version",),
        "SupervisionActionResolved": ("policy_version",),
    }
)


def _values(payload: Mapping[str, Any], field: str) -> list[str]:
    found: list[Any] = [payload.get(field)]
    nested = payload.get("clocks")
    if isinstance(nested, Sequence) and not isinstance(nested, str):
        found += [c.get(field) for c in nested if isinstance(c, Mapping)]
    return sorted({str(v) for v in found if v is not None and v != ""})


def decided_by(
    event_type: str, payload: Mapping[str, Any], deciders: Mapping[str, Sequence[str]] = DEFAULT_DECIDERS
) -> str | None:
    """`field=value;...` of the deciding versions (e.g. `routing_version=12;rule_id=r-17`), None when none apply."""
    parts = [f"{field}={','.join(vals)}" for field in deciders.get(event_type, ()) if (vals := _values(payload, field))]
    return ";".join(parts) or None
