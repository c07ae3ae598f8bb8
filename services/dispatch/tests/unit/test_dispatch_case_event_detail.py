"""The action log's detail of a case event: every field beyond the common ones, as dataclasses.asdict gives it."""

from __future__ import annotations

import inspect
from dataclasses import asdict, fields
from datetime import UTC, datetime

from dispatch.domain import case_events as ev

# A value for each field type the events use; a new type must be added here (and be a value, not a container).
SAMPLES = {
    "str": "x",
    "str | None": "y",
    "int": 3,
    "int | None": 4,
    "bool": True,
    "datetime": datetime(2026, 12, 3, 8, 30, tzinfo=UTC),
    "tuple[str, ...]": ("440104", "440105"),
}


def every_event() -> list[ev.CaseEvent]:
    out = []
    for _, kind in inspect.getmembers(ev, inspect.isclass):
        if issubclass(kind, ev.CaseEvent) and kind is not ev.CaseEvent:
            unknown = {f.name: f.type for f in fields(kind) if f.type not in SAMPLES}
            assert not unknown, f"{kind.__name__}: add a sample for {unknown}"
            out.append(kind(**{f.name: SAMPLES[str(f.type)] for f in fields(kind)}))
    return out


def test_the_detail_of_every_case_event_is_its_own_fields_as_asdict_gives_them_with_tuples_as_lists() -> None:
    events = every_event()
    assert len(events) >= 15
    for event in events:
        expected = {
            k: list(v) if isinstance(v, tuple) else v for k, v in asdict(event).items() if k not in ev.COMMON_FIELDS
        }
        assert ev.detail_of(event) == expected, type(event).__name__


def test_the_detail_is_a_fresh_dict_a_caller_may_change() -> None:
    event = ev.CaseCoordinated(
        case_id="C-1",
        at=SAMPLES["datetime"],
        cycle=1,
        unit="U",
        lead_unit="L",
        assisting_units=("A",),
        instructions="i",
    )
    first = ev.detail_of(event)
    first["reason"] = "rule"
    first["assisting_units"].append("B")
    assert ev.detail_of(event) == {"lead_unit": "L", "assisting_units": ["A"], "instructions": "i"}
    assert event.assisting_units == ("A",)
