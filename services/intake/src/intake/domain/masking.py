"""Masking requester identity for department-facing views (GZ Art. 15; SZ Art. 18)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from caseflow_common.masking import COMPOUND_SURNAMES
from caseflow_common.masking import mask_name as _mask_name
from caseflow_common.masking import mask_phone as _mask_phone
from intake.domain.phones import normalise_phone

# Roles that see the requester as given; the hotline took the call and calls back (回访).
DEFAULT_FULL_VIEW_ROLES: frozenset[str] = frozenset({"hotline"})
# Roles that may see an anonymous requester's identity; nobody by default.
DEFAULT_WITHHELD_VIEW_ROLES: frozenset[str] = frozenset()
# Roles that may see a whistleblower's (举报人) identity; nobody by default, the hotline neither (GZ Art. 20).
DEFAULT_WHISTLEBLOWER_VIEW_ROLES: frozenset[str] = frozenset()


def mask_phone(phone: str) -> str:
    """138****5678 of any accepted spelling of the number (+86, spaces and dashes are normalised first)."""
    return _mask_phone(normalise_phone(phone) or phone) or ""


def mask_name(name: str, compound_surnames: frozenset[str] = COMPOUND_SURNAMES) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧阳** (the shared rule in caseflow_common.masking)."""
    return _mask_name(name, compound_surnames) or ""


@dataclass(frozen=True, slots=True)
class RequesterView:
    """The requester as one role may see them."""

    name: str | None
    phone: str | None
    # Open311's other contacts: for the full view only, never masked into a department's view or an event.
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """Plain mapping, e.g. for the CaseReceived payload's requester_masked."""
        return {"name": self.name, "phone": self.phone}


def requester_view(
    role: str,
    *,
    name: str | None,
    phone: str | None,
    withheld: bool,
    whistleblower: bool = False,
    full_view_roles: frozenset[str] = DEFAULT_FULL_VIEW_ROLES,
    withheld_view_roles: frozenset[str] = DEFAULT_WITHHELD_VIEW_ROLES,
    whistleblower_view_roles: frozenset[str] = DEFAULT_WHISTLEBLOWER_VIEW_ROLES,
    contacts: Mapping[str, str | None] | None = None,
) -> RequesterView | None:
    """The requester for role: in full for the hotline (with the e-mail, device and account ids ``contacts`` hold),
    masked for everyone else (name and phone only); None when identity is withheld (anonymous) from this role, and
    for a whistleblower from every role the settings do not name (GZ Art. 20)."""
    if whistleblower:
        if role not in whistleblower_view_roles:
            return None
    elif withheld and role not in withheld_view_roles:
        return None
    if role in full_view_roles:
        given = contacts or {}
        return RequesterView(
            name=name,
            phone=phone,
            email=given.get("email"),
            device_id=given.get("device_id"),
            account_id=given.get("account_id"),
        )
    return RequesterView(
        name=mask_name(name) if name else None,
        phone=mask_phone(phone) if phone else None,
    )


def requester_masked(*, name: str | None, phone: str | None, withheld: bool) -> RequesterView | None:
    """The masked requester that may travel downstream in events, or None when identity is withheld."""
    if withheld:
        return None
    return RequesterView(name=mask_name(name) if name else None, phone=mask_phone(phone) if phone else None)
