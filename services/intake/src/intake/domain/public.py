"""What the public may see of a case's place: street level at most, coordinates rounded (GZ Art. 15; SZ Art. 19).

A house number or an exact point names a household. The public Open311 listing therefore shows the street (or the
community, by setting) the case's region lies in, never the address the requester gave, and coordinates rounded to a
few hundred metres' grain.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from intake.domain.regions import attr, region_path

PUBLIC_LEVELS: tuple[str, ...] = ("street", "community")
# Three decimals of a degree are about 110 m of latitude (and ~100 m of longitude at Guangzhou's 23° N).
DEFAULT_DECIMALS = 3
# Levels whose names the public address is made of (the city is the same for every case).
_NAMED_LEVELS = ("district", "street", "community")


@dataclass(frozen=True, slots=True)
class PublicPlace:
    """A case's place as published: a region code and its name at street level (or coarser), rounded coordinates."""

    region_code: str | None
    address: str
    lat: float | None
    lon: float | None


def coarse(value: float | None, decimals: int = DEFAULT_DECIMALS) -> float | None:
    """A coordinate rounded to ``decimals`` places (None stays None)."""
    return None if value is None else round(value, decimals)


def public_place(
    regions: Mapping[str, Any],
    region_code: str,
    lat: float | None,
    lon: float | None,
    *,
    level: str = "street",
    decimals: int = DEFAULT_DECIMALS,
) -> PublicPlace:
    """The place of a case at ``level`` (street or community) at most: the deepest region of the path not finer than it.

    The address is the names from the district down to that region ("荔湾区沙面街道"); an unknown region gives no code
    and no address. Coordinates are rounded, whatever the region.
    """
    if level not in PUBLIC_LEVELS:
        raise ValueError(f"public level must be one of {PUBLIC_LEVELS}")
    path = region_path(regions, region_code) or []
    allowed = _NAMED_LEVELS[: _NAMED_LEVELS.index(level) + 1]
    kept = [code for code in path if attr(regions[code], "level") in allowed]
    code = kept[-1] if kept else None
    address = "".join(str(attr(regions[c], "name")) for c in kept)
    return PublicPlace(code, address, coarse(lat, decimals), coarse(lon, decimals))


def listed_categories(categories: Mapping[str, Any], wanted: Collection[str] | None = None) -> list[str]:
    """The codes of categories marked public (of ``wanted``, when given): only these are ever listed publicly.

    A category is private unless the catalogue says otherwise: personal matters (care, disputes, crime clues,
    wages, housing) never reach the public listing, whatever their description says (GZ Art. 15, 20).
    """
    return sorted(
        code for code, cat in categories.items() if attr(cat, "public", False) and (wanted is None or code in wanted)
    )
