"""The directory as a log of changes: member units and regions are added, renamed and retired (GZ Art. 5; SZ Art. 8),
each change a version of its own, in force from its effective date.

Version 1 is the seed (the directory files); every later version is one change. The directory in force at an instant
is the seed with every change whose effective date has come, applied in (effective date, version) order; ``up_to``
keeps only the changes recorded up to a version. A change is accepted only when the whole timeline, pending changes
included, still applies cleanly: a later-dated change can never be broken by an earlier-dated one recorded after it.
Codes are never reused: a retired unit or region keeps its code (and its name, for the record)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from dispatch.domain.directory import COORDINATION_KIND, RegionTree, UnitDirectory, UnitLevel
from dispatch.domain.errors import DomainError, UnknownRegion, ValidationError

# The level a region's children sit at (city -> district -> street/town -> community -> grid).
CHILD_LEVEL: dict[str, str] = {"city": "district", "district": "street", "street": "community", "community": "grid"}


class ChangeOp(StrEnum):
    """What one directory version does."""

    SEED = "seed"
    ADD_UNIT = "add_unit"
    RENAME_UNIT = "rename_unit"
    RETIRE_UNIT = "retire_unit"
    ADD_REGION = "add_region"
    RENAME_REGION = "rename_region"
    RETIRE_REGION = "retire_region"


class DirectoryConflict(DomainError):
    """The change contradicts the directory (a duplicate code, a region still in use, a unit still routed to)."""

    code = "directory_conflict"

    def __init__(self, reason: str, details: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.details = list(details) or [reason]


class EntryNotFound(DomainError, LookupError):
    """No unit or region of that code is in force."""

    code = "not_found"


@dataclass(frozen=True)
class DirectoryChange:
    """One version: the operation, the unit or region it concerns, and what it sets."""

    version: int
    op: ChangeOp
    code: str
    effective_from: datetime
    data: Mapping[str, Any] = field(default_factory=dict)  # seed: regions, units; add: the record; rename: name


@dataclass
class DirectoryState:
    """Units and regions in force, and the retired ones (kept for their names and so codes are never reused)."""

    regions: dict[str, dict[str, Any]] = field(default_factory=dict)
    units: dict[str, dict[str, Any]] = field(default_factory=dict)
    retired_regions: dict[str, dict[str, Any]] = field(default_factory=dict)
    retired_units: dict[str, dict[str, Any]] = field(default_factory=dict)

    def tree(self) -> RegionTree:
        return RegionTree.from_dicts(self.regions.values())

    def directory(self) -> UnitDirectory:
        return UnitDirectory.from_dicts(self.units.values())

    def apply(self, change: DirectoryChange) -> None:
        """Apply one change; DirectoryConflict (409), UnknownRegion / ValidationError (422), EntryNotFound (404)."""
        match change.op:
            case ChangeOp.SEED:
                self.regions = {r["code"]: dict(r) for r in change.data.get("regions", [])}
                self.units = {u["code"]: dict(u) for u in change.data.get("units", [])}
            case ChangeOp.ADD_UNIT:
                self._add_unit(change.code, change.data)
            case ChangeOp.RENAME_UNIT:
                self._entry(self.units, "unit", change.code)["name"] = _name(change.data)
            case ChangeOp.RETIRE_UNIT:
                self._retire_unit(change.code, change.data)
            case ChangeOp.ADD_REGION:
                self._add_region(change.code, change.data)
            case ChangeOp.RENAME_REGION:
                self._entry(self.regions, "region", change.code)["name"] = _name(change.data)
            case ChangeOp.RETIRE_REGION:
                self._retire_region(change.code)

    def _entry(self, entries: dict[str, dict[str, Any]], what: str, code: str) -> dict[str, Any]:
        entry = entries.get(code)
        if entry is None:
            retired = self.retired_units if what == "unit" else self.retired_regions
            raise EntryNotFound(f"{what} {code} was retired" if code in retired else f"no {what} {code}")
        return entry

    def _add_unit(self, code: str, data: Mapping[str, Any]) -> None:
        if code in self.units or code in self.retired_units:
            raise DirectoryConflict(f"unit code {code} is taken (codes of retired units are not reused)")
        region = self.regions.get(str(data.get("region")))
        if region is None:
            raise UnknownRegion(f"region: no region {data.get('region')!r} is in force")
        if data.get("level") not in {level.value for level in UnitLevel} or data["level"] != region["level"]:
            raise ValidationError(f"level: a unit of region {region['code']} works at level {region['level']}")
        if not str(data.get("kind") or "").strip():
            raise ValidationError("kind: a unit kind is required")
        self.units[code] = {"code": code, "name": _name(data), "level": data["level"], "kind": data["kind"],
                            "region": region["code"]}  # fmt: skip

    def _retire_unit(self, code: str, data: Mapping[str, Any]) -> None:
        unit = self._entry(self.units, "unit", code)
        replacement = data.get("replaced_by")
        if replacement is not None:
            other = self.units.get(replacement)
            if other is None or replacement == code:
                raise ValidationError(f"replaced_by: {replacement} is not another unit in force")
            if (other["kind"] == COORDINATION_KIND) != (unit["kind"] == COORDINATION_KIND):
                raise ValidationError("replaced_by: a coordination institution is replaced by one, a department by one")
        del self.units[code]
        self.retired_units[code] = unit
        root = next((r for r in self.regions.values() if r.get("parent") is None), None)
        if root is not None and unit["kind"] == COORDINATION_KIND and unit["region"] == root["code"]:
            if not any(u["kind"] == COORDINATION_KIND and u["region"] == root["code"] for u in self.units.values()):
                raise DirectoryConflict("the city's coordination institution takes every case nobody else can: "
                                        "add its successor first")  # fmt: skip

    def _add_region(self, code: str, data: Mapping[str, Any]) -> None:
        if code in self.regions or code in self.retired_regions:
            raise DirectoryConflict(f"region code {code} is taken (codes of retired regions are not reused)")
        parent = self.regions.get(str(data.get("parent")))
        if parent is None:
            raise UnknownRegion(f"parent: no region {data.get('parent')!r} is in force")
        level = CHILD_LEVEL.get(parent["level"])
        if level is None or data.get("level", level) != level:
            raise ValidationError(f"level: a region under {parent['code']} ({parent['level']}) is a {level or 'none'}")
        record: dict[str, Any] = {"code": code, "name": _name(data), "level": level, "parent": parent["code"]}
        if data.get("bbox") is not None:
            record["bbox"] = list(data["bbox"])
        self.regions[code] = record

    def _retire_region(self, code: str) -> None:
        region = self._entry(self.regions, "region", code)
        if region.get("parent") is None:
            raise DirectoryConflict("the city region cannot be retired")
        children = sorted(r["code"] for r in self.regions.values() if r.get("parent") == code)
        units = sorted(u["code"] for u in self.units.values() if u["region"] == code)
        if children or units:
            in_use = [f"region {c} lies in it" for c in children] + [f"unit {u} serves it" for u in units]
            raise DirectoryConflict(f"region {code} is still in use: retire or move what it holds first", in_use)
        del self.regions[code]
        self.retired_regions[code] = region


def _name(data: Mapping[str, Any]) -> str:
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValidationError("name: a name is required")
    return name


def in_order(changes: Iterable[DirectoryChange]) -> list[DirectoryChange]:
    """The order changes apply in: the seed first, then by effective date, ties by version."""
    return sorted(changes, key=lambda c: (c.op is not ChangeOp.SEED, c.effective_from, c.version))


def included(changes: Iterable[DirectoryChange], *, as_of: datetime | None, up_to: int | None) -> list[DirectoryChange]:
    """The changes in force at ``as_of`` (every one when None) recorded up to version ``up_to`` (every one when None),
    in the order they apply."""
    return in_order(
        c
        for c in changes
        if (up_to is None or c.version <= up_to)
        and (c.op is ChangeOp.SEED or as_of is None or c.effective_from <= as_of)
    )


def replay(changes: Iterable[DirectoryChange]) -> DirectoryState:
    """The directory these changes make, applied in the order given (see ``included``)."""
    state = DirectoryState()
    for change in changes:
        state.apply(change)
    return state


def check_timeline(log: Sequence[DirectoryChange], candidate: DirectoryChange) -> DirectoryState:
    """The directory once every change is in force, the candidate included; the candidate's own error, or a
    DirectoryConflict naming the pending version it would break."""
    state = DirectoryState()
    for change in in_order([*log, candidate]):
        try:
            state.apply(change)
        except DomainError as exc:
            if change is candidate:
                raise
            raise DirectoryConflict(
                f"it would break version {change.version} ({change.op.value} {change.code}, effective "
                f"{change.effective_from.isoformat()}): {exc.reason}"
            ) from exc
    return state


__all__ = [
    "CHILD_LEVEL",
    "ChangeOp",
    "DirectoryChange",
    "DirectoryConflict",
    "DirectoryState",
    "EntryNotFound",
    "check_timeline",
    "in_order",
    "included",
    "replay",
]
