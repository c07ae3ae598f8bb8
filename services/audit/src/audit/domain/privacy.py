"""What audit keeps of a payload: everything but the requester's personal data (GZ Art. 15, 20; SZ Art. 18, 19)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

# Payload keys that carry (even masked) requester identity; a city may name more in settings.
DEFAULT_PERSONAL_FIELDS: tuple[str, ...] = (
    "requester",
    "requester_masked",
    "requester_name",
    "requester_phone",
    "requester_id_number",
    "id_number",
    "phone",
)


def strip_personal(payload: Mapping[str, Any], fields: Collection[str] = DEFAULT_PERSONAL_FIELDS) -> dict[str, Any]:
    """The payload without personal fields, at any depth (lists and nested objects included)."""
    return {k: _strip(v, fields) for k, v in payload.items() if k not in fields}


def _strip(value: Any, fields: Collection[str]) -> Any:
    if isinstance(value, Mapping):
        return strip_personal(value, fields)
    if isinstance(value, list):
        return [_strip(v, fields) for v in value]
    return value
