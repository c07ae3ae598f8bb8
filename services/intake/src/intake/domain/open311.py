"""Open311 GeoReport v2 façade: statuses collapse to open/closed, categories become services, errors become arrays."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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


class StatusRefused(ValueError):
    """A status filter Open311 does not know (the message names the value, which is the client's own)."""


def open311_statuses(values: Iterable[str]) -> frozenset[Open311Status]:
    """The statuses a filter names, case-insensitively (``Open``, ``open,CLOSED``); none named means every status."""
    wanted: set[Open311Status] = set()
    for value in values:
        try:
            wanted.add(Open311Status(value.strip().lower()))
        except ValueError:
            raise StatusRefused(f"status must be open or closed, not '{value.strip()[:40]}'") from None
    return frozenset(wanted)


# Attributes of a POST: attribute[code]=value, several values of a multivaluelist as attribute[code][]=value.
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
MAX_ATTRIBUTE_VALUE = 1000
MAX_ATTRIBUTE_VALUES = 50


def form_attributes(items: Iterable[tuple[str, object]]) -> dict[str, list[str]]:
    """The attribute answers of an Open311 form, each code with its values in the order given (files ignored)."""
    found: dict[str, list[str]] = {}
    for key, value in items:
        match = _ATTRIBUTE_KEY.match(key)
        if match is not None and isinstance(value, str):
            found.setdefault(match.group(1), []).append(value)
    return found


def _datetime_ok(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.utcoffset() is not None


def _number_ok(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _value_problem(datatype: str, values: Sequence[str], keys: frozenset[str]) -> str | None:
    if datatype == "multivaluelist":
        unknown = [v for v in values if v not in keys]
        return f"'{unknown[0][:40]}' is not one of {sorted(keys)}" if unknown else None
    if len(values) > 1:
        return "takes one value"
    value = values[0]
    if datatype == "singlevaluelist" and value not in keys:
        return f"'{value[:40]}' is not one of {sorted(keys)}"
    if datatype == "number" and not _number_ok(value):
        return "must be a number"
    if datatype == "datetime" and not _datetime_ok(value):
        return "must be an ISO 8601 time with an offset, e.g. 2026-11-21T09:30:00+08:00"
    return None


def attribute_problems(category: Any, given: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """(form field, message) for every answer the service definition refuses: an unknown code, a required attribute
    left out, a value of the wrong type or not in the list, too many or too long values."""
    fields = {str(attr(f, "code")): f for f in attr(category, "fields") or []}
    problems: list[tuple[str, str]] = []
    for code, values in given.items():
        field = f"attribute[{code}]"
        spec = fields.get(code)
        present = [v.strip() for v in values if v.strip()]
        if spec is None:
            problems.append((field, f"service '{attr(category, 'code')}' has no attribute '{code}'"))
        elif len(present) > MAX_ATTRIBUTE_VALUES or any(len(v) > MAX_ATTRIBUTE_VALUE for v in present):
            problems.append((field, f"at most {MAX_ATTRIBUTE_VALUES} values of {MAX_ATTRIBUTE_VALUE} characters"))
        elif present:
            definition = _attribute(spec, 0)
            keys = frozenset(str(v["key"]) for v in definition["values"])
            problem = _value_problem(definition["datatype"], present, keys)
            if problem is not None:
                problems.append((field, problem))
    for code, spec in fields.items():
        if attr(spec, "required", False) and not any(v.strip() for v in given.get(code, ())):
            problems.append((f"attribute[{code}]", "is required by this service"))
    return problems


def attribute_answers(given: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The answers as kept: blank values dropped, each list in the order given without repeats."""
    kept = {code: list(dict.fromkeys(v.strip() for v in values if v.strip())) for code, values in given.items()}
    return {code: values for code, values in kept.items() if values}


GEOREPORT_V2 = "http://wiki.open311.org/GeoReport_v2"


@dataclass(frozen=True, slots=True)
class DiscoveryInfo:
    """What the Service Discovery document says besides the endpoint's URL (settings and the catalogue's date)."""

    changeset: str = ""
    contact: str = ""
    key_service: str = ""
    kind: str = "production"  # production or test
    url: str = ""  # the endpoint's public URL; empty: as the request reached intake


def discovery(info: DiscoveryInfo, url: str) -> dict[str, Any]:
    """The Service Discovery document: one GeoReport v2 endpoint (``info.url`` or ``url``) in both formats."""
    return {
        "changeset": info.changeset,
        "contact": info.contact,
        "key_service": info.key_service,
        "endpoints": [
            {
                "specification": GEOREPORT_V2,
                "url": info.url or url,
                "changeset": info.changeset,
                "type": info.kind,
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
