"""Open311 GeoReport v2 façade: statuses collapse to open/closed, categories become services, errors become arrays."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from caseflow_common.contracts.status import CaseStatus
from intake.domain.regions import attr


class Open311Status(StrEnum):
    """The only two statuses GeoReport v2 knows."""

    OPEN = "open"
    CLOSED = "closed"


# A merged request stays open: each requester keeps their own reply, visit and evaluation (DOMAIN.md, 并单).
DEFAULT_STATUS_MAP: Mapping[CaseStatus, Open311Status] = {
    status: (Open311Status.CLOSED if status is CaseStatus.CLOSED else Open311Status.OPEN) for status in CaseStatus
}
DEFAULT_STATUS_NOTES: Mapping[CaseStatus, str] = {
    CaseStatus.RECEIVED: "已受理 Received, waiting to be dispatched.",
    CaseStatus.DISPATCHED: "已派单 Dispatched to the responsible department.",
    CaseStatus.COORDINATING: "协调中 With the coordination office to name the departments in charge.",
    CaseStatus.ACCEPTED: "已签收 Accepted by the responsible department.",
    CaseStatus.IN_PROGRESS: "办理中 Being handled.",
    CaseStatus.SUSPENDED: "暂停 Waiting for information from the requester.",
    CaseStatus.REPLIED: "已答复 The department has replied.",
    CaseStatus.CLOSED: "已办结 Closed.",
    CaseStatus.REOPENED: "重办 Reopened for another round of handling.",
    CaseStatus.MERGED: "已并单 Handled together with an earlier request about the same matter.",
}


def open311_status(status: str, status_map: Mapping[CaseStatus, Open311Status] = DEFAULT_STATUS_MAP) -> Open311Status:
    """The Open311 status (open/closed) of an internal case status."""
    return status_map[CaseStatus(status)]


def status_notes(status: str, detail: str | None = None, notes: Mapping[CaseStatus, str] = DEFAULT_STATUS_NOTES) -> str:
    """The status_notes text that carries the detail Open311's open/closed loses."""
    text = notes.get(CaseStatus(status), str(status))
    return f"{text} {detail.strip()}" if detail and detail.strip() else text


def _keywords(category: Any) -> str:
    words = attr(category, "keywords") or []
    if isinstance(words, str):
        return words
    return ",".join(str(w) for w in words)


def service_from_category(category: Any) -> dict[str, Any]:
    """An Open311 service (services.json entry) for a catalogue category."""
    return {
        "service_code": attr(category, "code"),
        "service_name": attr(category, "name"),
        "description": attr(category, "description") or attr(category, "name"),
        "metadata": bool(attr(category, "fields")),
        # The case id is returned at once on POST, so requests are realtime in Open311's sense.
        "type": "realtime",
        "keywords": _keywords(category),
        "group": attr(category, "group") or "",
    }


_DATATYPES = frozenset({"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"})


def _attribute(field: Any, order: int) -> dict[str, Any]:
    datatype = attr(field, "datatype") or attr(field, "type") or "string"
    values = attr(field, "values") or []
    return {
        "variable": True,
        "code": attr(field, "code"),
        "datatype": datatype if datatype in _DATATYPES else "string",
        "required": bool(attr(field, "required", False)),
        "datatype_description": attr(field, "datatype_description") or "",
        "order": order,
        "description": attr(field, "description") or attr(field, "name") or attr(field, "code"),
        "values": [
            {"key": v, "name": v} if isinstance(v, str) else {"key": attr(v, "key"), "name": attr(v, "name")}
            for v in values
        ],
    }


def service_definition(category: Any) -> dict[str, Any]:
    """The Open311 service definition (services/{code}.json) with the category's extra fields as attributes."""
    fields = attr(category, "fields") or []
    return {
        "service_code": attr(category, "code"),
        "attributes": [_attribute(f, i) for i, f in enumerate(fields, start=1)],
    }


def open311_error(code: int, description: str) -> list[dict[str, Any]]:
    """A one-entry Open311 error array."""
    return [{"code": int(code), "description": description}]


def open311_errors(code: int, message: str, details: Iterable[object]) -> list[dict[str, Any]]:
    """An error as an Open311 array: one entry per named field ({"field", "message"} details), else the message."""
    errors = [
        {"code": code, "description": f"{d['field']}: {d['message']}"}
        for d in details
        if isinstance(d, dict) and "field" in d
    ]
    return errors or open311_error(code, message)


# Where a report body's fields come from in the Open311 form.
_FORM_FIELDS: Mapping[str, str] = {
    "category": "service_code",
    "location.lon": "long",
    "location.region_code": "address_id",
    "location.address": "address_string",
    "location": "lat",
    "requester.phone": "phone",
    "requester.name": "first_name",
}


def open311_field(loc: Sequence[str | int]) -> str:
    """The Open311 form field behind a location in the report body."""
    path = ".".join(str(p) for p in loc)
    return _FORM_FIELDS.get(path, path.removeprefix("location."))
