"""GET/PUT /v1/admin/policies and /v1/admin/calendar: versioned rules; a change recomputes running clocks."""

from __future__ import annotations

from fastapi import APIRouter

from escalation import commands
from escalation.api.deps import Admin, Runtime
from escalation.api.errors import api_errors
from escalation.calendar_doc import CalendarDocument
from escalation.gauges import refresh_gauges
from escalation.policy_doc import PolicyDocument
from escalation.views import CalendarView, PoliciesView

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.get("/policies", response_model=PoliciesView)
async def get_policies(runtime: Runtime, _: Admin) -> PoliciesView:
    """The SLA policies and supervision ladder in force, with their version."""
    async with runtime.uow() as uow:
        cfg = await runtime.context.config.refresh(uow.repo)
    return PoliciesView(version=cfg.policy_version, **cfg.policy_doc.model_dump())


@router.put("/policies", response_model=PoliciesView)
async def put_policies(body: PolicyDocument, runtime: Runtime, principal: Admin) -> PoliciesView:
    """Save a new policy version; running clocks are recomputed under it (met clocks keep theirs)."""
    with api_errors():
        saved = await commands.save_policies(runtime, body, principal.subject)
    return PoliciesView(version=saved.version, recomputed_cases=saved.recomputed_cases, **body.model_dump())


@router.get("/calendar", response_model=CalendarView)
async def get_calendar(runtime: Runtime, _: Admin) -> CalendarView:
    """Published years and overrides in force (beyond the chinese-calendar package), with their version."""
    async with runtime.uow() as uow:
        cfg = await runtime.context.config.refresh(uow.repo)
    await refresh_gauges(runtime)
    return CalendarView(
        version=cfg.calendar_version,
        **cfg.calendar_doc.model_dump(),
        provisional_deadlines=runtime.context.gauges.provisional_deadlines,
    )


@router.put("/calendar", response_model=CalendarView)
async def put_calendar(body: CalendarDocument, runtime: Runtime, principal: Admin) -> CalendarView:
    """Save a new calendar version (e.g. a newly published year); running clocks are recomputed on it. 422 when the
    rules' deadlines cannot be counted on it (no working day for years)."""
    with api_errors():
        saved = await commands.save_calendar(runtime, body, principal.subject)
    return CalendarView(
        version=saved.version,
        recomputed_cases=saved.recomputed_cases,
        **body.model_dump(),
        provisional_deadlines=runtime.context.gauges.provisional_deadlines,
    )
