"""Chinese phone numbers: recognising the accepted formats and reducing them to one canonical form."""

from __future__ import annotations

import re
from enum import StrEnum

# Separators people type between digit groups; anything else (letters, dots, extensions) is refused.
_SEPARATORS = re.compile(r"[\s\-()]+")
_COUNTRY_PREFIX = re.compile(r"^(?:\+86|0086)")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Trunk 0 + two or three digit area code (never 00, the international prefix), then a 7 or 8 digit local number.
_AREA_CODE = re.compile(r"^0[1-9]\d{1,2}$")
_LOCAL_NUMBER = re.compile(r"^[1-9]\d{6,7}$")
_LANDLINE = re.compile(r"^0[1-9]\d{8,10}$")

PHONE_FORMAT_HINT = (
    "a mobile number 1[3-9]xxxxxxxxx (optionally prefixed +86 or 0086) or a landline with area code 0xx(x)-xxxxxxx(x)"
)


class PhoneKind(StrEnum):
    """Which kind of number a canonical phone is."""

    MOBILE = "mobile"
    LANDLINE = "landline"


def normalise_phone(raw: str) -> str | None:
    """Canonical digits of a valid Chinese phone number (country prefix dropped), or None if it is not one."""
    groups = [g for g in _SEPARATORS.split(raw.strip()) if g]
    if not groups:
        return None
    prefixed = _COUNTRY_PREFIX.match(groups[0]) is not None
    groups[0] = _COUNTRY_PREFIX.sub("", groups[0])
    groups = [g for g in groups if g]
    digits = "".join(groups)
    if not digits.isascii() or not digits.isdigit():
        return None
    if _MOBILE.match(digits):
        return digits
    # In international form a landline drops its trunk 0 (+86 20 12345678 is 020-12345678).
    if prefixed and not digits.startswith("0"):
        groups[0] = "0" + groups[0]
        digits = "0" + digits
    if len(groups) > 1:
        # Written in groups, the first group is the area code: 020-123456789 is not read as 0201-23456789.
        area, local = groups[0], "".join(groups[1:])
        return digits if _AREA_CODE.match(area) and _LOCAL_NUMBER.match(local) else None
    return digits if _LANDLINE.match(digits) else None


def normalise_phone_or_raise(raw: str) -> str:
    """Canonical digits of a valid Chinese phone number; ValueError naming the accepted formats otherwise."""
    canonical = normalise_phone(raw)
    if canonical is None:
        raise ValueError(f"phone must be {PHONE_FORMAT_HINT}")
    return canonical


def phone_kind(canonical: str) -> PhoneKind:
    """Mobile or landline, for a phone already in canonical form."""
    return PhoneKind.MOBILE if _MOBILE.match(canonical) else PhoneKind.LANDLINE
