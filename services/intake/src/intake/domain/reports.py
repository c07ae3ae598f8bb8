"""Request bodies of the hotline and grid report endpoints (API.md, intake) and their idempotency fingerprint."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from caseflow_common.contracts.intake import Channel, Urgency
from intake.domain.bodies import AwareDatetime, Body
from intake.domain.phones import PHONE_FORMAT_HINT, normalise_phone


class ReportKind(StrEnum):
    """What the requester wants."""

    COMPLAINT = "complaint"
    REQUEST = "request"
    REPORT = "report"
    INQUIRY = "inquiry"
    SUGGESTION = "suggestion"


def _external_id(value: str) -> str:
    if not value or len(value) > 64 or any(not (c.isascii() and (c.isalnum() or c in "._:-")) for c in value):
        raise PydanticCustomError(
            "external_id", "external_id must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'"
        )
    return value


def _description(value: str) -> str:
    text = value.strip()
    if not text:
        raise PydanticCustomError("blank", "description must not be blank")
    if len(text) > 4000:
        raise PydanticCustomError("too_long", "description must be at most 4000 characters")
    return text


def _code(value: str) -> str:
    text = value.strip()
    if not text or len(text) > 64:
        raise PydanticCustomError("code", "code must be 1-64 characters")
    return text


ExternalId = Annotated[
    str,
    AfterValidator(_external_id),
    Field(description="The sender's own ticket number: the idempotency key.", examples=["HL-2026-0001234"]),
]
Description = Annotated[
    str,
    AfterValidator(_description),
    Field(
        description="What happened, in the requester's words (1-4000 characters).",
        examples=["小区门口垃圾堆放三天无人清运"],
    ),
]
Code = Annotated[str, AfterValidator(_code)]
MAX_REGIONS = 20  # regions one report may name


class Location(Body):
    """Where the matter is: a region of the directory, an address, and optionally coordinates (WGS-84)."""

    region_code: Code | None = Field(
        default=None,
        description="Grid, community, street or district code from the region directory.",
        examples=["440106001001"],
    )
    region_codes: list[Code] = Field(
        default_factory=list,
        max_length=MAX_REGIONS,
        description="Several regions when the matter spans them (e.g. two districts): the lowest coordination "
        "institution covering them all takes it (GZ Art. 10; SZ Art. 24). region_code, when given, is listed first; "
        "without region_code the first of these is the case's region.",
        examples=[["440106", "440104"]],
    )
    address: str = Field(
        default="", max_length=200, description="Free-text address.", examples=["天河区体育西路 101 号"]
    )
    lat: float | None = Field(default=None, ge=-90, le=90, description="Latitude in degrees.", examples=[23.1291])
    # validate_default makes the pair check below run when lon is absent, so "lat without lon" is caught.
    lon: float | None = Field(
        default=None, ge=-180, le=180, validate_default=True, description="Longitude in degrees.", examples=[113.2644]
    )

    @field_validator("lon", mode="after")
    @classmethod
    def _lat_and_lon_together(cls, lon: float | None, info: ValidationInfo) -> float | None:
        if "lat" not in info.data:  # lat itself was invalid and is already reported
            return lon
        if (info.data["lat"] is None) != (lon is None):
            raise PydanticCustomError("coordinates", "lat and lon must be given together or not at all")
        return lon

    @model_validator(mode="after")
    def _every_region(self) -> Location:
        # One list of every region named, region_code first; a single region leaves the list empty (the body and
        # its fingerprint as before the list existed).
        named = list(dict.fromkeys([*([self.region_code] if self.region_code else []), *self.region_codes]))
        self.region_code = named[0] if named else None
        self.region_codes = named if len(named) > 1 else []
        return self

    @property
    def all_region_codes(self) -> list[str]:
        """Every region the report names, the case's own first (empty when it names none)."""
        return self.region_codes or ([self.region_code] if self.region_code else [])

    @property
    def has_coordinates(self) -> bool:
        """True when both lat and lon are known."""
        return self.lat is not None and self.lon is not None


class HotlineLocation(Location):
    """Location of a hotline report: a region code, or coordinates inside a known grid."""

    @model_validator(mode="after")
    def _region_or_coordinates(self) -> HotlineLocation:
        if self.region_code is None and not self.region_codes and not self.has_coordinates:
            raise PydanticCustomError(
                "location", "give location.region_code (or region_codes), or lat and lon inside a known grid"
            )
        return self


class Requester(Body):
    """Who asked; personal information kept apart from the case body (GZ Art. 15; SZ Art. 18)."""

    anonymous: bool = Field(default=False, description="The requester does not want to be identified.")
    name: str | None = Field(default=None, max_length=50, description="Name as given.", examples=["张三"])
    phone: str | None = Field(
        default=None,
        validate_default=True,
        description="Callback number; required unless anonymous. Stored as canonical digits without +86.",
        examples=["13812345678", "+86 138 1234 5678", "020-12345678"],
    )

    @field_validator("phone", mode="after")
    @classmethod
    def _phone(cls, phone: str | None, info: ValidationInfo) -> str | None:
        if phone is None or not phone.strip():
            if info.data.get("anonymous", False):
                return None
            raise PydanticCustomError("missing_phone", "phone is required unless the requester is anonymous")
        canonical = normalise_phone(phone)
        if canonical is None:
            raise PydanticCustomError("phone_format", "phone must be {hint}", {"hint": PHONE_FORMAT_HINT})
        return canonical


class HotlineReportIn(Body):
    """A citizen request submitted by the 12345 hotline system."""

    external_id: ExternalId
    received_at: AwareDatetime = Field(
        description="When the hotline took the request, with offset; kept as the citizen's fact. Not more than "
        "report_max_age_days back, not ahead of the clock beyond report_future_skew_s (else 422).",
        examples=["2026-11-21T09:30:00+08:00"],
    )
    kind: ReportKind = Field(description="What the requester wants.", examples=["complaint"])
    category: Code = Field(description="Category code from GET /v1/categories.", examples=["env.garbage"])
    urgency: Urgency | None = Field(
        default=None,
        description="Omit to take the category's default urgency; an emergency category is always an emergency.",
    )
    description: Description
    location: HotlineLocation
    requester: Requester


def _media_url(value: str) -> str:
    url = value.strip()
    parts = urlsplit(url)
    if len(url) > 2000 or parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise PydanticCustomError("media_url", "media_url must be an http or https URL of at most 2000 characters")
    return url


def _email(value: str) -> str:
    address = value.strip()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise PydanticCustomError("email", "email must be an e-mail address such as name@example.com")
    return address


_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


class Open311ReportIn(HotlineReportIn):
    """A request through the Open311 façade: a hotline request plus GeoReport v2's optional fields, all kept.

    email, device_id and account_id are the requester's, kept with the name and phone (encrypted, never published);
    media_url and the attribute answers belong to the matter.
    """

    media_url: Annotated[str, AfterValidator(_media_url)] | None = None
    attributes: dict[str, list[str]] = Field(
        default_factory=dict, description="Answers to the service definition's attributes, by attribute code."
    )
    email: Annotated[str, AfterValidator(_email)] | None = None
    device_id: str | None = Field(default=None, max_length=100)
    account_id: str | None = Field(default=None, max_length=100)


class GridReportIn(Body):
    """What a grid member found on patrol (GZ Art. 16; SZ Art. 17)."""

    external_id: ExternalId
    observed_at: AwareDatetime = Field(
        description="When the grid member observed the matter, with offset; kept as a fact. Not more than "
        "report_max_age_days back, not ahead of the clock beyond report_future_skew_s (else 422).",
        examples=["2026-11-21T09:30:00+08:00"],
    )
    grid_code: Code = Field(description="The reporting grid's code.", examples=["440106001001"])
    reporter_id: Code = Field(description="The grid member's id in the grid system.", examples=["GM-0042"])
    kind: ReportKind = Field(
        default=ReportKind.REPORT, description="What the report is; grid reports default to report."
    )
    category: Code = Field(description="Category code from GET /v1/categories.", examples=["safety.hazard"])
    urgency: Urgency | None = Field(
        default=None,
        description="emergency/urgent/normal/inquiry as the grid member judged it; omit to take the category's "
        "default. An emergency category is always an emergency.",
        examples=["urgent"],
    )
    description: Description
    location: Location = Field(
        default_factory=Location, description="Where; region_code defaults to grid_code when omitted."
    )

    def model_post_init(self, context: Any, /) -> None:
        """Default the location's region to the reporting grid."""
        if self.location.region_code is None:
            self.location = self.location.model_copy(update={"region_code": self.grid_code})


Report = HotlineReportIn | GridReportIn


def channel_of(report: Report) -> Channel:
    """The channel a report body belongs to: intake's own endpoints take hotline and grid reports only."""
    return Channel.HOTLINE if isinstance(report, HotlineReportIn) else Channel.GRID


def occurred_at(report: Report) -> datetime:
    """The report's own time: received_at for the hotline, observed_at for the grid."""
    return report.received_at if isinstance(report, HotlineReportIn) else report.observed_at


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        # One instant, one text: +08:00 and Z spellings of the same time are the same body.
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, StrEnum):
        return str(value)
    return value


def fingerprint(report: Report) -> str:
    """SHA-256 hex of the canonical JSON of the normalised body: same body, same fingerprint."""
    body = _canonical(report.model_dump(mode="python"))
    if not body["location"].get("region_codes"):
        del body["location"]["region_codes"]  # a one-region body keeps the fingerprint it had before the list
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
