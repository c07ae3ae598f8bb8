"""Masking requester identity for department-facing views (GZ Art. 15; SZ Art. 18)."""

from __future__ import annotations

from dataclasses import dataclass

from intake.domain.phones import normalise_phone

# Roles that see the requester as given; the hotline took the call and calls back (回访).
DEFAULT_FULL_VIEW_ROLES: frozenset[str] = frozenset({"hotline"})
# Roles that may see even a withheld identity; nobody by default (whistleblower protection, GZ Art. 20).
DEFAULT_WITHHELD_VIEW_ROLES: frozenset[str] = frozenset()
# Two-character surnames (复姓) keep both characters visible: 欧阳娜娜 -> 欧阳**.
DEFAULT_COMPOUND_SURNAMES: frozenset[str] = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
        "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "申屠", "公冶", "太史", "澹台", "濮阳", "单于",
        "闻人", "东郭", "呼延", "百里", "司空", "万俟", "赫连", "拓跋", "第五", "左丘", "谷梁", "梁丘", "宗政",
    }
)  # fmt: skip

_HEAD, _TAIL = 3, 4


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits, star the rest: 13812345678 -> 138****5678."""
    digits = normalise_phone(phone) or "".join(c for c in phone if c.isascii() and c.isdigit())
    if len(digits) <= _HEAD + _TAIL:
        # Too short to show head and tail without giving most of it away.
        return "*" * max(len(digits), 4)
    return digits[:_HEAD] + "*" * (len(digits) - _HEAD - _TAIL) + digits[-_TAIL:]


def mask_name(name: str, compound_surnames: frozenset[str] = DEFAULT_COMPOUND_SURNAMES) -> str:
    """Keep the surname, star each other character: 张三 -> 张*, 欧阳娜娜 -> 欧阳**."""
    text = name.strip()
    if len(text) <= 1:
        return "*" * len(text)
    keep = 2 if text[:2] in compound_surnames and len(text) > 2 else 1
    return text[:keep] + "".join(" " if c.isspace() else "*" for c in text[keep:])


@dataclass(frozen=True, slots=True)
class RequesterView:
    """The requester as one role may see them."""

    name: str | None
    phone: str | None

    def as_dict(self) -> dict[str, str | None]:
        """Plain mapping, e.g. for the CaseReceived payload's requester_masked."""
        return {"name": self.name, "phone": self.phone}


def requester_view(
    role: str,
    *,
    name: str | None,
    phone: str | None,
    withheld: bool,
    full_view_roles: frozenset[str] = DEFAULT_FULL_VIEW_ROLES,
    withheld_view_roles: frozenset[str] = DEFAULT_WITHHELD_VIEW_ROLES,
) -> RequesterView | None:
    """The requester for role: in full for the hotline, masked for everyone else, None when identity is withheld."""
    if withheld and role not in withheld_view_roles:
        return None
    if role in full_view_roles:
        return RequesterView(name=name, phone=phone)
    return RequesterView(
        name=mask_name(name) if name else None,
        phone=mask_phone(phone) if phone else None,
    )


def requester_masked(*, name: str | None, phone: str | None, withheld: bool) -> RequesterView | None:
    """The masked requester that may travel downstream in events, or None when identity is withheld."""
    if withheld:
        return None
    return RequesterView(name=mask_name(name) if name else None, phone=mask_phone(phone) if phone else None)
