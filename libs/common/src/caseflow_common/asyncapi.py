"""The event contracts published for other teams: AsyncAPI 3 and one JSON Schema per event, generated from the
payload models (the models are the source; the documents in docs/events/ are checked against them by a test).

    python -m caseflow_common.asyncapi            # rewrite docs/events/
    python -m caseflow_common.asyncapi --check    # exit 1 when docs/events/ is not what the models say
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

import orjson

from caseflow_common import contracts, topics
from caseflow_common.events import Envelope, Payload, known_events

DOCS = Path(__file__).resolve().parents[4] / "docs" / "events"
HEADERS = {
    "type": "object",
    "description": "Kafka record headers on every event (the body is the JSON envelope; the key is the case id)",
    "properties": {
        "event_type": {"type": "string"},
        "version": {"type": "string", "description": "the payload's major version, as text"},
        "producer": {"type": "string", "description": "the service that published (and signed) it"},
        "content-type": {"type": "string", "const": "application/json"},
    },
    "required": ["event_type", "version", "producer", "content-type"],
}


def _name(model: type[Payload]) -> str:
    return f"{model.event_type}.v{model.version}"


def event_schema(model: type[Payload]) -> dict[str, Any]:
    """JSON Schema of the whole message: the envelope with this event's payload."""
    envelope = Envelope.model_json_schema(mode="serialization")
    payload = model.model_json_schema(mode="serialization")
    defs = {**envelope.pop("$defs", {}), **payload.pop("$defs", {})}
    envelope["properties"]["payload"] = payload
    envelope["properties"]["event_type"] = {"const": model.event_type}
    envelope["properties"]["version"] = {"const": model.version}
    envelope["title"] = _name(model)
    envelope["description"] = inspect.getdoc(model) or model.event_type
    envelope["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    if defs:
        envelope["$defs"] = defs
    return envelope


def documents() -> dict[str, dict[str, Any]]:
    """Every document under docs/events/, by relative path."""
    published = [m for m in known_events().values() if m.__module__.startswith(contracts.__name__ + ".")]
    models = sorted(published, key=lambda m: (contracts.topic_of(m), m.event_type, m.version))
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    out: dict[str, dict[str, Any]] = {}
    for model in models:
        name = _name(model)
        out[f"schemas/{name}.json"] = event_schema(model)
        messages[name] = {
            "name": model.event_type,
            "title": name,
            "summary": (inspect.getdoc(model) or model.event_type).splitlines()[0],
            "contentType": "application/json",
            "headers": HEADERS,
            "payload": {"$ref": f"schemas/{name}.json"},
        }
    for topic in (topics.INTAKE, topics.DISPATCH, topics.ESCALATION):
        owner = contracts.producer_of(topic) or topic
        names = [_name(m) for m in models if contracts.topic_of(m) == topic]
        channels[owner] = {
            "address": topic,
            "description": f"events {owner} publishes (keyed by case id; signed by {owner}'s key)",
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
        }
        operations[f"{owner}.publish"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{owner}"},
            "messages": [{"$ref": f"#/channels/{owner}/messages/{n}"} for n in names],
        }
    out["asyncapi.json"] = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "caseflow events",
            "version": "1.0.0",
            "description": "Every message is the JSON envelope (event_id, event_type, version, occurred_at, case_id, "
            "producer, correlation_id, causation_id, actor, payload, key_id, signature), keyed by case id. Consumers "
            "read tolerantly: fields may be added within a version; a new major version is a new message.",
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
    return out


def render(doc: dict[str, Any]) -> bytes:
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def stale(root: Path = DOCS) -> list[str]:
    """The documents under ``root`` that differ from what the models say (missing, changed or left over)."""
    want = {path: render(doc) for path, doc in documents().items()}
    have = {p.relative_to(root).as_posix() for p in root.rglob("*.json")} if root.exists() else set()
    changed = [p for p, body in want.items() if not (root / p).exists() or (root / p).read_bytes() != body]
    return sorted(changed + [p for p in have if p not in want])


def write(root: Path = DOCS) -> None:
    for path, doc in documents().items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(render(doc))
    for left in (p for p in root.rglob("*.json") if p.relative_to(root).as_posix() not in documents()):
        left.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when docs/events/ is stale")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        for p in bad:
            print(f"stale: docs/events/{p}", file=sys.stderr)
        return 1 if bad else 0
    write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
