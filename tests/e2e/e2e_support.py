"""Shared by the in-process end-to-end tests: the four services on the real broker and real databases."""

from __future__ import annotations

from contextlib import AsyncExitStack

import audit.bootstrap
import dispatch.bootstrap
import escalation.bootstrap
import intake.bootstrap
from audit.settings import Settings as AuditSettings
from caseflow_common.auth import Role
from caseflow_common.testing import ManualClock, auth_header, running, service_settings
from dispatch.settings import Settings as DispatchSettings
from escalation.settings import Settings as EscalationSettings
from intake.settings import Settings as IntakeSettings

PHONE = "13912345678"
UNIT = "GZ-TH-HJ"  # 天河 ecology bureau: construction noise in a 天河 street routes here (routing.json)
SERVICES = [
    ("intake", intake.bootstrap.build, IntakeSettings),
    ("dispatch", dispatch.bootstrap.build, DispatchSettings),
    ("escalation", escalation.bootstrap.build, EscalationSettings),
    ("audit", audit.bootstrap.build, AuditSettings),
]


def report(external_id: str) -> dict:
    return {
        "external_id": external_id,
        "received_at": "2026-11-20T09:30:00+08:00",
        "kind": "complaint",
        "category": "env.noise.construction",
        "description": "工地夜间施工噪声扰民，凌晨仍在作业",
        "location": {"region_code": "440106001", "address": "天河路1号"},
        "requester": {"name": "李小明", "phone": PHONE, "anonymous": False},
    }


async def _start_all(stack: AsyncExitStack, broker: str, prefix: str, databases, clock: ManualClock) -> dict:  # type: ignore[no-untyped-def]
    svcs = {}
    for name, build, settings_cls in SERVICES:
        settings = service_settings(
            settings_cls, broker=broker, prefix=prefix, database_url=await databases.new_url(name)
        )
        svcs[name] = await stack.enter_async_context(running(build, settings, clock=clock))
    return svcs


async def _status(intake_client, case_id: str) -> str | None:  # type: ignore[no-untyped-def]
    r = await intake_client.get(f"/v1/cases/{case_id}", headers=auth_header(Role.HOTLINE))
    return r.json().get("status") if r.status_code == 200 else None
