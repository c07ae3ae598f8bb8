"""The four services in-process on the real broker and SQLite, seeded through their own APIs with cases of one unit,
one coordination institution and one grid system, so every own/foreign check of the matrix meets a real object."""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from security_policy import COORD_K, DEPT_A, GRID_FOREIGN, PRINCIPALS

import audit.bootstrap
import dispatch.bootstrap
import escalation.bootstrap
import intake.bootstrap
from audit.settings import Settings as AuditSettings
from caseflow_common import topics
from caseflow_common.auth import Role, TokenCodec
from caseflow_common.messaging.kafka import ensure_topics
from caseflow_common.testing import TEST_SECRET, ManualClock, RunningService, running, service_settings, wait_for
from dispatch.settings import Settings as DispatchSettings
from escalation.settings import Settings as EscalationSettings
from intake.settings import Settings as IntakeSettings

SERVICES: dict[str, tuple[Any, Any, dict[str, Any]]] = {
    "intake": (intake.bootstrap.build, IntakeSettings, {}),
    # A live stream ends at once, so a call to it answers (its client resumes).
    "dispatch": (dispatch.bootstrap.build, DispatchSettings, {"stream_max_s": 0.05, "stream_poll_s": 0.02}),
    "escalation": (escalation.bootstrap.build, EscalationSettings, {"scheduler_enabled": False}),
    "audit": (audit.bootstrap.build, AuditSettings, {"anchor_interval_s": 3600}),
}
STREET = "440106001"  # 五山街: construction noise routes to DEPT_A, vagrancy (several departments) to COORD_K
_CODEC = TokenCodec(TEST_SECRET)


def bearer(role: Role, who: tuple[str, str | None]) -> dict[str, str]:
    subject, unit = who
    return {"Authorization": f"Bearer {_CODEC.issue(subject, role, unit, ttl=timedelta(days=1))}"}


def own(role: Role) -> dict[str, str]:
    return bearer(role, PRINCIPALS[role].own)


def hotline_report(category: str, region: str = STREET) -> dict[str, Any]:
    """A hotline report of its own requester and address (no repeat of another case)."""
    n = uuid.uuid4().int
    return {
        "external_id": f"SEC-{n % 10**12:012d}",
        "received_at": "2026-11-20T09:00:00+08:00",
        "kind": "complaint",
        "category": category,
        "description": "安全测试：工地夜间施工噪声",
        "location": {"region_code": region, "address": f"天河路{n % 997 + 1}号"},
        "requester": {"name": "王五", "phone": f"139{n % 10**8:08d}"},
    }


def grid_report(grid: str) -> dict[str, Any]:
    return {
        "external_id": f"GR-{uuid.uuid4().hex[:12]}",
        "observed_at": "2026-11-20T09:00:00+08:00",
        "grid_code": grid,
        "reporter_id": "GM-0042",
        "category": "safety.fire_hazard",
        "description": "出租屋楼道堆放杂物，堵塞消防通道",
    }


def manual_action(unit: str, case_id: str) -> dict[str, Any]:
    return {
        "unit": unit,
        "case_ids": [case_id],
        "rung": "reminder",
        "reason": "public_concern_unaddressed",
        "rectification_deadline": "2026-12-20T00:00:00+08:00",
    }


# The department actions that each get a case of their own (an action changes the case's state), and the steps
# that bring that case to where the action is allowed; "closed" is the case the hotline records a return visit of.
SIGNED, REPLIED = ("accept", {}), ("reply", {"content": "已处理", "resolved": True})
PREPARED: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "accept": [],
    "return": [],
    "transfer": [],
    "refer": [],
    "progress": [SIGNED],
    "suspend": [SIGNED],
    "resume": [SIGNED, ("suspend", {"reason": "等待诉求人补充材料"})],
    "reply": [SIGNED],
    "close": [SIGNED, REPLIED],
    "notify-police": [SIGNED],
}


@dataclass
class Seeded:
    svcs: dict[str, RunningService]
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)

    def client(self, service: str) -> httpx.AsyncClient:
        return self.svcs[service].client


async def _ok(response: httpx.Response, *codes: int) -> dict[str, Any]:
    assert response.status_code in (codes or (200, 201)), response.text
    body: dict[str, Any] = response.json()
    return body


async def _visible(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> bool:
    return (await client.get(path, headers=headers)).status_code == 200


async def _status(client: httpx.AsyncClient, case_id: str, status: str) -> bool:
    response = await client.get(f"/v1/cases/{case_id}", headers=own(Role.HOTLINE))
    return response.status_code == 200 and response.json()["status"] == status


async def start_stack(stack: AsyncExitStack, broker: str, tmp: Path) -> Seeded:
    """Start the four services (each on its own SQLite file, under one topic prefix) and seed them."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    await ensure_topics(broker, [prefix + t for t in topics.ALL], partitions=3)
    clock = ManualClock()
    svcs = {}
    for name, (build, settings_cls, overrides) in SERVICES.items():
        settings = service_settings(
            settings_cls, broker=broker, prefix=prefix, database_url=f"sqlite+aiosqlite:///{tmp}/{name}.db", **overrides
        )
        svcs[name] = await stack.enter_async_context(running(build, settings, clock=clock))
    seeded = Seeded(svcs)
    await _seed(seeded)
    return seeded


async def _report(seeded: Seeded, category: str) -> str:
    body = await _ok(
        await seeded.client("intake").post(
            "/v1/hotline/reports", json=hotline_report(category), headers=own(Role.HOTLINE)
        ),
        201,
    )
    assert body["status"] == "received", body  # a case of its own, not merged into another
    return str(body["case_id"])


async def _seed(seeded: Seeded) -> None:
    intake_, dispatch_ = seeded.client("intake"), seeded.client("dispatch")
    escalation_, audit_ = seeded.client("escalation"), seeded.client("audit")
    dept, coord = own(Role.DEPARTMENT), own(Role.COORDINATION)
    objects = seeded.objects
    objects.update(
        unit={"code": DEPT_A},
        region={"code": "440106"},
        category={"service_code": "urban.garbage"},
        directory={"version": 1},
        **{"coordination.unit": {"code": COORD_K}, "spare.unit": {"code": "GZ-TH-SW"}},
        **{"spare.region": {"code": "440106001001-02"}},
    )

    # Cases of the department (one to read, one per action) and of the coordination institution.
    dept_cases = {"case": await _report(seeded, "env.noise.construction")}
    for action in [*PREPARED, "closed"]:
        name = action if action == "closed" else f"work.{action}"
        dept_cases[name] = await _report(seeded, "env.noise.construction")
    coord_cases = {
        name: await _report(seeded, "care.vagrancy")
        for name in ("coordinated", "work.coordinate", "work.escalate", "work.part-reply")
    }
    for name, case_id in {**dept_cases, **coord_cases}.items():
        objects[name] = {"case_id": case_id, "service_request_id": case_id}

    # Grid reports: the own grid system's and another's.
    grid_body = grid_report("440103001001-01")
    grid = await _ok(await intake_.post("/v1/grid/reports", json=grid_body, headers=own(Role.GRID)), 201)
    objects["grid"] = {"case_id": grid["case_id"], "external_id": grid_body["external_id"]}
    foreign = bearer(Role.GRID, PRINCIPALS[Role.GRID].foreign or (GRID_FOREIGN, None))
    await _ok(await intake_.post("/v1/grid/reports", json=grid_report("440106001001-01"), headers=foreign), 201)

    # Dispatch routed each case to its unit.
    for case_id in dept_cases.values():
        await wait_for(lambda c=case_id: _visible(dispatch_, f"/v1/work/cases/{c}", dept), timeout=30)
    for case_id in coord_cases.values():
        await wait_for(lambda c=case_id: _visible(dispatch_, f"/v1/work/cases/{c}", coord), timeout=30)

    # Each action's case is brought to where the action is allowed; the "closed" case is handled to its end.
    for action, steps in [*PREPARED.items(), ("closed", [SIGNED, REPLIED, ("close", {})])]:
        case_id = objects[action if action == "closed" else f"work.{action}"]["case_id"]
        for step, body in steps:
            await _ok(await dispatch_.post(f"/v1/work/cases/{case_id}/{step}", json=body or None, headers=dept))
    closed = objects["closed"]["case_id"]
    await wait_for(lambda: _status(intake_, closed, "closed"), timeout=30)

    # The institution names a lead and the department as assisting unit: the department's part-reply case.
    part = objects["work.part-reply"]["case_id"]
    body = {"lead_unit": "GZ-TH-CG", "assisting_units": [DEPT_A], "instructions": "城管牵头"}
    await _ok(await dispatch_.post(f"/v1/work/cases/{part}/coordinate", json=body, headers=coord))
    assert (await dispatch_.get(f"/v1/work/cases/{part}", headers=dept)).json()["role"] == "assisting"

    # Escalation learned the cases (their clocks), then a supervisor addresses an action to each unit.
    read, coordinated = objects["case"]["case_id"], objects["coordinated"]["case_id"]
    await wait_for(lambda: _visible(escalation_, f"/v1/cases/{read}/clocks", dept), timeout=30)
    await wait_for(lambda: _visible(escalation_, f"/v1/cases/{coordinated}/clocks", coord), timeout=30)
    sup = own(Role.SUPERVISOR)
    action = await _ok(
        await escalation_.post("/v1/supervision/actions", json=manual_action(DEPT_A, read), headers=sup), 201
    )
    objects["action"] = {"action_id": action["id"]}
    action = await _ok(
        await escalation_.post("/v1/supervision/actions", json=manual_action(COORD_K, coordinated), headers=sup), 201
    )
    objects["coordinated.action"] = {"action_id": action["id"]}

    # Audit recorded the department's case.
    await wait_for(lambda: _visible(audit_, f"/v1/records/{read}", sup), timeout=30)
