"""The published event contracts (docs/events/: AsyncAPI 3 + a JSON Schema per event) are what the models say."""

from __future__ import annotations

from caseflow_common import asyncapi


def test_the_published_event_documents_are_what_the_models_say():
    stale = asyncapi.stale()
    assert stale == [], f"docs/events/ is stale ({stale}): run `python -m caseflow_common.asyncapi`"


def test_a_model_change_without_its_documents_is_caught(tmp_path):
    asyncapi.write(tmp_path)
    assert asyncapi.stale(tmp_path) == []
    schema = tmp_path / "schemas" / "CaseReceived.v1.json"
    schema.write_text(schema.read_text().replace('"urgency"', '"priority"'))
    (tmp_path / "schemas" / "CaseInvented.v1.json").write_text("{}")
    assert asyncapi.stale(tmp_path) == ["schemas/CaseInvented.v1.json", "schemas/CaseReceived.v1.json"]


def test_every_topic_lists_exactly_its_producers_events():
    doc = asyncapi.documents()["asyncapi.json"]
    assert doc["asyncapi"] == "3.0.0"
    assert set(doc["channels"]) == {"intake", "dispatch", "escalation"}
    assert "CaseReceived.v1" in doc["channels"]["intake"]["messages"]
    assert "CaseReceived.v1" not in doc["channels"]["dispatch"]["messages"]
    assert doc["channels"]["escalation"]["address"] == "caseflow.escalation.v1"
