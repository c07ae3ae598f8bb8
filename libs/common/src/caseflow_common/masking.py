"""Masking of requester identity for every view but the hotline's own (GZ Art. 15, 20; SZ Art. 18, 19).

One implementation for every service: intake masks before anything leaves it, dispatch masks again what it shows
departments (defence in depth: masking an already masked value changes nothing).

Masking always works from the value it is given, never trusting what looks masked already: a star typed into a name
(李*明) or a number is one more character, and every character past the kept head and tail is starred all the same.
"""

from __future__ import annotations

MASK = "*"
# Two-character surnames (复姓) keep both characters visible: 欧阳娜娜 -> 欧阳**.
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯",
        "轩辕", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "申屠", "公冶", "太史", "澹台", "濮阳", "单于",
        "闻人", "东郭", "呼延", "百里", "司空", "万俟", "赫连", "拓跋", "第五", "左丘", "谷梁", "梁丘", "宗政",
    }
)  # fmt: skip
_HEAD, _TAIL = 3, 4


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits, star the rest: 13812345678 -> 138****5678.

    A star already in the value stands for a digit (so 138****5678 masks to itself); anything else but ASCII digits
    (spaces, dashes, full-width digits) is dropped, never shown.
    """
    if not phone:
        return None
    digits = "".join(c for c in phone if c == MASK or (c.isascii() and c.isdigit()))
    if len(digits) <= _HEAD + _TAIL:
        # Too short to show head and tail without giving most of it away.
        return MASK * max(len(digits), 4)
    return digits[:_HEAD] + MASK * (len(digits) - _HEAD - _TAIL) + digits[-_TAIL:]


def mask_name(name: str | None, compound_surnames: frozenset[str] = COMPOUND_SURNAMES) -> str | None:
    """Keep the surname, star each other character: 张三 -> 张*, 欧阳娜娜 -> 欧阳**."""
    if not name:
        return None
    text = name.strip()
    if len(text) <= 1:
        return MASK * len(text)
    keep = 2 if text[:2] in compound_surnames and len(text) > 2 else 1
    return text[:keep] + "".join(" " if c.isspace() else MASK for c in text[keep:])
