"""What the public Open311 listing shows of a case: never the requester, no personal data in the text, street level.

Requester identity is never published (GZ Art. 15; SZ Art. 19): the description is redacted (phones, ID numbers,
e-mail addresses, names, house numbers), the address is the street the case lies in, the coordinates are rounded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from intake.context import IntakeContext
from intake.domain.open311 import open311_status, status_notes
from intake.domain.public import public_place
from intake.domain.redaction import redact_public
from intake.repository import aware
from intake.views import clocks_of


def _expected(clocks: list[dict[str, Any]], kind: str) -> str | None:
    deadlines: list[str] = [c["deadline"] for c in clocks if c.get("kind") == kind and c.get("deadline")]
    return max(deadlines) if deadlines else None


def open311_request(row: Row, ctx: IntakeContext) -> dict[str, Any]:
    """One service request as the public sees it (GeoReport v2 fields)."""
    category = ctx.categories.get(row.category)
    place = public_place(
        ctx.regions, row.region_code, row.lat, row.lon, level=ctx.public_level, decimals=ctx.public_decimals
    )
    return {
        "service_request_id": row.case_id,
        "status": str(open311_status(row.status)),
        "status_notes": status_notes(row.status),
        "service_name": category.name if category else row.category,
        "service_code": row.category,
        # Stored already without the requester's contacts; rows stored before that are redacted here all the same.
        "description": redact_public(row.description),
        "agency_responsible": row.unit_name or row.unit,
        "service_notice": "",
        "requested_datetime": aware(row.received_at).isoformat(),
        "updated_datetime": aware(row.updated_at).isoformat(),
        "expected_datetime": _expected(clocks_of(row.clocks), ctx.expected_clock),
        "address": place.address,
        "address_id": place.region_code,
        "zipcode": None,
        "lat": place.lat,
        "long": place.lon,
        "media_url": _public_media(row.media_url),
    }


def _public_media(url: str | None) -> str | None:
    """The media link as published: none that carries a phone number, ID number or e-mail address (a redacted link
    would lead nowhere, so it is left out whole)."""
    return url if url and redact_public(url) == url else None
