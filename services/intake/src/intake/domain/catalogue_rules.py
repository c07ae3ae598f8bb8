"""What a category means for a report: its urgency, identity protection, channels, and the semantic checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caseflow_common.contracts.intake import Channel, Urgency
from intake.domain.open311 import attribute_problems
from intake.domain.regions import DEFAULT_REPORTABLE_LEVELS, GRID_LEVEL, attr, region_level, resolve_region
from intake.domain.reports import GridReportIn, Open311ReportIn, Report, channel_of, occurred_at
from intake.domain.times import TimeLimits, time_refusal

__all__ = [
    "FieldError",
    "category_allows_channel",
    "effective_urgency",
    "identity_withheld",
    "report_grid_code",
    "report_region_code",
    "report_time_errors",
    "resolve_region",
    "validate_report",
]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: where it is in the body and what is wrong, in a sentence."""

    loc: tuple[str | int, ...]
    message: str
    code: str = "invalid"

    def as_detail(self) -> dict[str, Any]:
        """The shape of one entry of the error envelope's details (same keys as pydantic's errors)."""
        return {"loc": list(self.loc), "msg": self.message, "type": self.code}


def effective_urgency(requested: Urgency | str | None, category: Any, fallback: Urgency = Urgency.NORMAL) -> Urgency:
    """The report's own urgency if given, else the category's default, else the fallback; an emergency category is
    an emergency whatever the report says, on every channel (a gas leak found on patrol is no 10-day matter)."""
    default = attr(category, "default_urgency")
    if default and Urgency(default) is Urgency.EMERGENCY:
        # DOMAIN.md (2026-11-30): emergency categories get the emergency tier on every channel, grid included.
        return Urgency.EMERGENCY
    if requested is not None:
        return Urgency(requested)
    return Urgency(default) if default else fallback


def identity_withheld(anonymous: bool, category: Any) -> bool:
    """True when the requester's identity must never reach downstream (anonymous, or a whistleblower category).

    Whistleblowers' identity is protected by GZ Art. 20 (举报人和证人保护措施).
    """
    return anonymous or bool(attr(category, "whistleblower", False))


def category_allows_channel(category: Any, channel: Channel | str) -> bool:
    """True when the category may be reported through the channel; a category naming no channels allows all."""
    channels = attr(category, "channels")
    return not channels or str(channel) in {str(c) for c in channels}


def report_region_code(report: Report, regions: Mapping[str, Any]) -> str | None:
    """The report's region: the code it names, else the grid holding its coordinates, else None."""
    location = report.location
    if location.region_code is not None:
        return location.region_code
    if location.lat is not None and location.lon is not None:
        return resolve_region(location.lat, location.lon, regions)
    return None


def report_grid_code(report: Report, region_code: str, regions: Mapping[str, Any]) -> str | None:
    """The grid a report falls in: its region if that is a grid, else its coordinates', else the reporting grid."""
    if region_level(regions, region_code) == GRID_LEVEL:
        return region_code
    location = report.location
    if location.lat is not None and location.lon is not None:
        found = resolve_region(location.lat, location.lon, regions)
        if found is not None:
            return found
    return report.grid_code if isinstance(report, GridReportIn) else None


def _check_region(
    code: str, loc: tuple[str, ...], regions: Mapping[str, Any], levels: frozenset[str]
) -> FieldError | None:
    level = region_level(regions, code)
    if code not in regions:
        return FieldError(loc, f"unknown region code '{code}'", "unknown_region")
    if level not in levels:
        allowed = ", ".join(sorted(levels))
        return FieldError(loc, f"region '{code}' is a {level} level; a report needs one of: {allowed}", "region_level")
    return None


def validate_report(
    report: Report,
    categories: Mapping[str, Any],
    regions: Mapping[str, Any],
    *,
    reportable_levels: frozenset[str] = DEFAULT_REPORTABLE_LEVELS,
) -> list[FieldError]:
    """Every semantic error of a syntactically valid report against the catalogue and the region directory."""
    errors: list[FieldError] = []
    channel = channel_of(report)
    category = categories.get(report.category)
    if category is None:
        errors.append(FieldError(("category",), f"unknown category '{report.category}'", "unknown_category"))
    elif not category_allows_channel(category, channel):
        errors.append(
            FieldError(
                ("category",), f"category '{report.category}' is not accepted on the {channel} channel", "channel"
            )
        )

    if isinstance(report, GridReportIn):
        if report.grid_code not in regions:
            errors.append(FieldError(("grid_code",), f"unknown grid code '{report.grid_code}'", "unknown_region"))
        elif region_level(regions, report.grid_code) != GRID_LEVEL:
            errors.append(FieldError(("grid_code",), f"'{report.grid_code}' is not a grid", "region_level"))

    location = report.location
    defaulted_to_grid = isinstance(report, GridReportIn) and location.region_code == report.grid_code
    if location.region_code is not None and not defaulted_to_grid:
        error = _check_region(location.region_code, ("location", "region_code"), regions, reportable_levels)
        if error is not None:
            errors.append(error)
    for index, code in enumerate(location.region_codes[1:], start=1):
        error = _check_region(code, ("location", "region_codes", str(index)), regions, reportable_levels)
        if error is not None:
            errors.append(error)
    if location.region_code is None and location.lat is not None and location.lon is not None:
        if resolve_region(location.lat, location.lon, regions) is None:
            errors.append(
                FieldError(
                    ("location",),
                    f"lat {location.lat}, lon {location.lon} lies outside every grid of the directory; give region_code",
                    "outside_grids",
                )
            )
    if isinstance(report, Open311ReportIn) and category is not None:
        # An Open311 request answers its service definition (the category's fields): every answer checked.
        errors += [
            FieldError((field,), message, "attribute")
            for field, message in attribute_problems(category, report.attributes)
        ]
    return errors


def report_time_errors(report: Report, now: datetime, limits: TimeLimits) -> list[FieldError]:
    """The report's own time refused against the clock: far in the past, or ahead of it beyond the skew."""
    refusal = time_refusal(occurred_at(report), now, limits)
    if refusal is None:
        return []
    field = "observed_at" if isinstance(report, GridReportIn) else "received_at"
    return [FieldError((field,), refusal, "time_range")]
