"""Request bodies of the directory administration (units and regions added, renamed, retired; GZ Art. 5; SZ Art. 8)."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from caseflow_common.directory import RegionLevel

Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Kind = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_from: AwareDatetime | date | None = Field(
        default=None,
        description="when the change takes effect: an ISO 8601 time with offset, or a date (midnight in the city's "
        "zone, CASEFLOW_CITY_TIMEZONE); default now. A future date takes effect when it comes; the past is refused (422)",
        examples=["2027-01-01"],
    )
    base_version: int | None = Field(
        default=None, ge=1, description="refuse with 409 if the directory moved past this version"
    )

    def effective(self, city_zone: tzinfo) -> datetime | None:
        """The effective instant (None: now); a bare date is midnight of that day in the city's zone."""
        value = self.effective_from
        if value is None or isinstance(value, datetime):
            return value
        return datetime(value.year, value.month, value.day, tzinfo=city_zone)

    def data(self) -> dict[str, Any]:
        """What the stored version records."""
        return self.model_dump(mode="json", exclude={"effective_from", "base_version", "code"}, exclude_none=True)


class UnitCreate(_Change):
    code: Code
    name: Name
    level: Literal["city", "district", "street"] = Field(description="the level of its region")
    kind: Kind = Field(description="public_security, urban_management, ..., coordination (an institution)")
    region: Code = Field(description="the region it covers (in force at the effective date)")


class RegionCreate(_Change):
    code: Code
    name: Name
    parent: Code = Field(description="the region it lies in (in force at the effective date)")
    level: RegionLevel | None = Field(default=None, description="one below the parent's (checked; default so)")
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="a grid's [min_lat, min_lon, max_lat, max_lon]"
    )


class Rename(_Change):
    name: Name


class UnitRetire(_Change):
    reason: Annotated[str, Field(min_length=1, max_length=4000)] = Field(description="why the unit leaves")
    replaced_by: Code | None = Field(
        default=None,
        description="the unit that takes over its routing rules (required while the routing table names it)",
    )


class RegionRetire(_Change):
    reason: Annotated[str, Field(min_length=1, max_length=4000)]
