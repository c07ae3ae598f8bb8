"""Category catalogue: what citizens and grid members report, and how each kind of matter is handled."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from caseflow_common.contracts.intake import Channel, Urgency
from dispatch.domain.errors import UnknownCategory


class Category(BaseModel):
    """One category of request, with the defaults that drive routing."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    code: str
    name: str
    group: str = ""
    default_urgency: Urgency = Urgency.NORMAL
    default_unit_kind: str = ""
    # Handled by several departments under a coordination institution (GZ Art. 10, 32, 33; SZ Art. 24).
    multi_department: bool = False
    # A report of a suspected crime whose informant is protected (GZ Art. 20, 25).
    whistleblower: bool = False
    # A matter that a grassroots unit (street office / town government) may handle itself; functional
    # department matters are never pushed down to the street.
    grassroots: bool = False
    # Units of these kinds are informed of every case of the category (SZ Art. 44: the mental-health centre).
    notify_unit_kinds: tuple[str, ...] = ()
    notice_basis: str = ""
    channels: tuple[Channel, ...] = (Channel.HOTLINE, Channel.GRID)
    fields: tuple[dict[str, Any], ...] = Field(default_factory=tuple)


class CategoryCatalogue:
    """The set of categories, looked up by code."""

    def __init__(self, categories: Iterable[Category]) -> None:
        self._by_code: dict[str, Category] = {}
        for category in categories:
            if category.code in self._by_code:
                raise ValueError(f"category {category.code} is listed twice")
            self._by_code[category.code] = category

    @classmethod
    def from_dicts(cls, items: Iterable[Mapping[str, Any]]) -> CategoryCatalogue:
        """Build the catalogue from parsed JSON objects."""
        return cls(Category.model_validate(item) for item in items)

    def get(self, code: str) -> Category | None:
        """The category with this code, or None."""
        return self._by_code.get(code)

    def get_or_raise(self, code: str) -> Category:
        """The category with this code; UnknownCategory if there is none."""
        category = self._by_code.get(code)
        if category is None:
            raise UnknownCategory(f"unknown category {code!r}")
        return category

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Category]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)
