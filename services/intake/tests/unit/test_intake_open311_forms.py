"""Open311's POST form and filters read as GeoReport v2 writes them, and its XML built safely from our own data."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from intake.api.open311_formats import xml_document
from intake.domain.open311 import (
    Open311Status,
    StatusRefused,
    attribute_answers,
    attribute_problems,
    form_attributes,
    open311_statuses,
)

CATEGORY = {
    "code": "env.garbage",
    "fields": [
        {"code": "bins", "datatype": "number", "required": True},
        {"code": "kind", "datatype": "singlevaluelist", "values": [{"key": "k", "name": "厨余"}, "other"]},
        {"code": "when", "datatype": "datetime"},
        {"code": "sorts", "datatype": "multivaluelist", "values": ["a", "b"]},
        {"code": "note", "datatype": "text"},
    ],
}


def test_statuses_are_read_in_any_case_and_an_unknown_one_is_refused_by_name() -> None:
    assert open311_statuses(["Open", " CLOSED "]) == {Open311Status.OPEN, Open311Status.CLOSED}
    assert open311_statuses([]) == frozenset()
    with pytest.raises(StatusRefused, match="not 'pending'"):
        open311_statuses(["open", "pending"])


def test_attributes_are_read_from_attribute_code_keys_single_and_repeated() -> None:
    items = [
        ("attribute[bins]", "3"),
        ("attribute[sorts][]", "a"),
        ("attribute[sorts][]", "b"),
        ("attributes", "x"),
        ("attribute[]", "x"),
        ("attribute[a][b]", "x"),
        ("description", "x"),
        ("attribute[photo]", object()),  # an uploaded file is no answer
    ]
    assert form_attributes(items) == {"bins": ["3"], "sorts": ["a", "b"]}


def test_every_answer_the_service_definition_refuses_is_named_once() -> None:
    given = {
        "kind": ["nope"],
        "when": ["2026-11-21 09:30"],
        "sorts": ["a", "z"],
        "note": ["two", "values"],
        "colour": ["red"],
    }
    problems = dict(attribute_problems(CATEGORY, given))
    assert set(problems) == {
        "attribute[kind]",
        "attribute[when]",
        "attribute[sorts]",
        "attribute[note]",
        "attribute[colour]",
        "attribute[bins]",
    }
    assert problems["attribute[bins]"] == "is required by this service"
    assert "not one of" in problems["attribute[kind]"] and "offset" in problems["attribute[when]"]


def test_answers_the_service_definition_accepts_are_kept_without_blanks_or_repeats() -> None:
    given = {"bins": [" 3 "], "kind": ["k"], "when": ["2026-11-21T09:30:00+08:00"], "sorts": ["b", "a", "b", " "]}
    assert attribute_problems(CATEGORY, given) == []
    assert attribute_answers(given) == {
        "bins": ["3"],
        "kind": ["k"],
        "when": ["2026-11-21T09:30:00+08:00"],
        "sorts": ["b", "a"],
    }
    assert attribute_problems(CATEGORY, {"bins": ["inf"]}) == [("attribute[bins]", "must be a number")]


def test_the_xml_names_list_items_as_georeport_v2_does_and_escapes_every_text() -> None:
    data = [{"service_request_id": "GZ-1", "description": 'a<b>&"c"\x00\ud800', "lat": 23.1, "ok": True, "x": None}]
    document = xml_document("service_requests", data)
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<service_requests><request>')
    request = ElementTree.fromstring(document).find("request")
    assert request is not None
    assert request.findtext("description") == 'a<b>&"c"\ufffd\ufffd'
    assert request.findtext("lat") == "23.1" and request.findtext("ok") == "true"
    assert request.find("x") is not None and request.findtext("x") == ""
