"""Masking of requester data for department views (GZ Art. 15, 20; SZ Art. 18, 19): 138****5678, 张*."""

from __future__ import annotations

MASK = "*"


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits; a value that is already masked stays as it is."""
    if not phone:
        return None
    if MASK in phone:
        return phone
    if len(phone) <= 7:
        return MASK * len(phone)
    return phone[:3] + MASK * 4 + phone[-4:]


def mask_name(name: str | None) -> str | None:
    """Keep the first character (the family name); a value that is already masked stays as it is."""
    if not name:
        return None
    if MASK in name:
        return name
    return name[0] + MASK * max(1, len(name) - 1)
