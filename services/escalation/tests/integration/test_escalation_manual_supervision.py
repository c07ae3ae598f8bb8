"""Supervision by decision (GZ Art. 48 (1)-(6)): a supervisor issues a rung by hand, on the same ladder, announced on
the broker for the record, resolved by the addressed unit like the automatic ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from caseflow_common import topics
from caseflow_common.auth import Role
from caseflow_common.events import Envelope
from caseflow_common.testing import ManualClock, auth_header, topic_reader, wait_for
from escalation.scheduler import run_scheduler_pass

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
SUPERVISOR = auth_header(Role.SUPERVISOR)
UNIT, OTHER = "GZ-TH-CG", "GZ-TH-ZJ"


def _decision(**changes):  # type: ignore[no-untyped-def]
    body = {
        "unit": UNIT,
        "case_ids": ["C-1", "C-2"],
        "rung": "listed",
        "reason": "repeated_incidents",
        "note": "three gas incidents in one street within a month",
        "rectification_deadline": (NOW + timedelta(days=30)).isoformat(),
    }
    return {**body, **changes}


async def _cases(svc, esc) -> None:  # type: ignore[no-untyped-def]
    for case_id, unit in (("C-1", UNIT), ("C-2", UNIT), ("C-3", OTHER)):
        await esc.feed(svc.runtime, case_id, esc.received(NOW), NOW)
        await esc.feed(svc.runtime, case_id, esc.dispatched(NOW, unit=unit), NOW)


async def test_a_supervisor_lists_a_unit_for_supervision_by_decision_and_the_unit_resolves_it(
    escalation, databases, broker, topic_prefix, esc
):
    async with escalation(await databases.new_url("manual"), ManualClock(NOW), workers=True) as svc:
        await _cases(svc, esc)
        resp = await svc.client.post("/v1/supervision/actions", json=_decision(), headers=SUPERVISOR)
        assert resp.status_code == 201, resp.text
        action = resp.json()
        assert (action["rung"], action["unit"], action["case_ids"], action["manual"]) == (
            "listed",
            UNIT,
            ["C-1", "C-2"],
            True,
        )
        assert action["reason"] == "repeated_incidents" and action["issued_by"] == "test-supervisor"
        assert action["clock_kind"] is None and action["status"] == "open"

        # the same decision submitted twice is one action
        again = await svc.client.post("/v1/supervision/actions", json=_decision(), headers=SUPERVISOR)
        assert again.status_code == 200 and again.json()["id"] == action["id"]

        # announced on the broker for dispatch and the record (audit), by the supervisor who decided
        reader = topic_reader(broker, topic_prefix + topics.ESCALATION)
        await reader.start()
        try:
            seen: list[Envelope] = []

            async def announced() -> list[Envelope]:
                batch = await reader.getmany(timeout_ms=200)
                seen.extend(Envelope.from_bytes(m.value) for ms in batch.values() for m in ms)
                return [e for e in seen if e.event_type == "SupervisionActionIssued"]

            issued = await wait_for(announced, timeout=30)
        finally:
            await reader.stop()
        assert len(issued) == 1
        event = issued[0]
        assert event.actor.role == "supervisor" and event.payload["manual"] is True
        assert event.payload["reason"] == "repeated_incidents" and event.payload["issued_by"] == "test-supervisor"
        assert event.payload["case_ids"] == ["C-1", "C-2"] and event.payload["rung"] == "listed"

        # the addressed unit sees it and resolves it; nobody else may
        own = await svc.client.get(
            "/v1/supervision/actions?manual=true", headers=auth_header(Role.DEPARTMENT, unit=UNIT)
        )
        assert [a["id"] for a in own.json()["items"]] == [action["id"]]
        url = f"/v1/supervision/actions/{action['id']}/resolve"
        stranger = await svc.client.post(
            url, json={"rectification": "x"}, headers=auth_header(Role.DEPARTMENT, unit=OTHER)
        )
        assert stranger.status_code == 404
        done = await svc.client.post(
            url,
            json={"rectification": "gas lines inspected street-wide"},
            headers=auth_header(Role.DEPARTMENT, unit=UNIT),
        )
        assert done.status_code == 200 and done.json()["status"] == "resolved"
        assert len(await esc.outbox_events(svc.runtime, "SupervisionActionResolved")) == 1


async def test_a_decision_the_regulation_does_not_support_is_refused_with_its_reasons(escalation, databases, esc):
    async with escalation(await databases.new_url("refused"), ManualClock(NOW)) as svc:
        await _cases(svc, esc)
        post = svc.client.post
        cases = [
            (_decision(case_ids=["C-1", "C-3"]), 422, "case_not_of_unit"),
            (_decision(unit="GZ-NOWHERE"), 422, "unknown_unit"),
            (_decision(rectification_deadline=(NOW - timedelta(days=1)).isoformat()), 422, "invalid_decision"),
            (_decision(rectification_deadline=(NOW + timedelta(days=5000)).isoformat()), 422, "invalid_decision"),
            (_decision(reason="other", note=None), 422, "invalid_decision"),
            (_decision(rung="other"), 422, None),
            (_decision(reason="because"), 422, None),
            (_decision(case_ids=[]), 422, None),
            (_decision(rectification_deadline="2026-04-01T10:00:00"), 422, None),  # no zone
            (_decision(rectification_deadline="9999-12-31T23:59:59-12:00"), 422, "invalid_decision"),
        ]
        for body, status, code in cases:
            resp = await post("/v1/supervision/actions", json=body, headers=SUPERVISOR)
            assert resp.status_code == status, (body, resp.text)
            if code:
                assert resp.json()["error"]["code"] == code and resp.json()["error"]["details"], resp.text
        for role, unit in ((Role.DEPARTMENT, UNIT), (Role.COORDINATION, "GZ-TH-PA"), (Role.HOTLINE, None)):
            resp = await post("/v1/supervision/actions", json=_decision(), headers=auth_header(role, unit=unit))
            assert resp.status_code == 403
        assert await esc.actions(svc.runtime) == []


async def test_a_manual_action_leaves_the_automatic_ladder_of_its_cases_as_it_was(escalation, databases, esc):
    clock = ManualClock(NOW)
    async with escalation(await databases.new_url("beside"), clock) as svc:
        await _cases(svc, esc)
        resp = await svc.client.post(
            "/v1/supervision/actions", json=_decision(rung="supervise", case_ids=["C-1"]), headers=SUPERVISOR
        )
        assert resp.status_code == 201
        await run_scheduler_pass(svc.runtime, NOW + timedelta(days=30))
        rows = await esc.actions(svc.runtime)
        automatic = [(r.case_id, r.clock_kind, r.rung) for r in rows if not r.manual and r.clock_kind == "handling"]
        # C-1's handling clock climbs on its own, from 督办 up, as C-2's does
        assert ("C-1", "handling", "supervise") in automatic and ("C-2", "handling", "supervise") in automatic
        assert [r.rung for r in rows if r.manual] == ["supervise"]
