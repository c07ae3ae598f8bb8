"""GET/PUT /v1/admin/policies and /v1/admin/calendar: versioned rules; a change recomputes running clocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import Table

from caseflow_common.auth import Principal, Role, require
from caseflow_common.errors import ApiError
from escalation.calendar_doc import CalendarDocument
from escalation.config import Config, ConfigStore
from escalation.policy_doc import PolicyDocument
from escalation.recompute import recompute_running_clocks
from escalation.repository import CALENDAR_VERSIONS, POLICY_VERSIONS
from escalation.scheduler import refresh_gauges
from escalation.views import CalendarView, PoliciesView

router = APIRouter(prefix="/v1/admin", tags=["admin"])
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


def _store(request: Request) -> ConfigStore:
    return request.app.state.runtime.context.config


async def _save_and_recompute(
    request: Request, table: Table, current: Callable[[Config], int], document: BaseModel, principal: Principal
) -> tuple[int, int]:
    """Store the next version of a document, then recompute running clocks under it; (version, cases changed)."""
    runtime = request.app.state.runtime
    async with runtime.uow() as uow:
        cfg = await _store(request).refresh(uow.repo)
        version = max(current(cfg), await uow.repo.latest_version(table) or 0) + 1
        await uow.repo.add_version(table, version, document.model_dump(mode="json"), runtime.clock(), principal.subject)
        await uow.commit()
    return version, await recompute_running_clocks(runtime)


@router.get("/policies", response_model=PoliciesView)
async def get_policies(request: Request, _: Admin) -> PoliciesView:
    """The SLA policies and supervision ladder in force, with their version."""
    async with request.app.state.runtime.uow() as uow:
        cfg = await _store(request).refresh(uow.repo)
    return PoliciesView(version=cfg.policy_version, **cfg.policy_doc.model_dump())


@router.put("/policies", response_model=PoliciesView)
async def put_policies(body: PolicyDocument, request: Request, principal: Admin) -> PoliciesView:
    """Save a new policy version; running clocks are recomputed under it (met clocks keep theirs)."""
    problems = body.problems()
    if problems:
        raise ApiError(422, "invalid_policies", "the policy set is not usable", problems)
    version, changed = await _save_and_recompute(request, POLICY_VERSIONS, lambda c: c.policy_version, body, principal)
    return PoliciesView(version=version, recomputed_cases=changed, **body.model_dump())


@router.get("/calendar", response_model=CalendarView)
async def get_calendar(request: Request, _: Admin) -> CalendarView:
    """Published years and overrides in force (beyond the chinese-calendar package), with their version."""
    runtime = request.app.state.runtime
    async with runtime.uow() as uow:
        cfg = await _store(request).refresh(uow.repo)
    await refresh_gauges(runtime)
    return CalendarView(
        version=cfg.calendar_version,
        **cfg.calendar_doc.model_dump(),
        provisional_deadlines=runtime.context.gauges["provisional_deadlines"],
    )


@router.put("/calendar", response_model=CalendarView)
async def put_calendar(body: CalendarDocument, request: Request, principal: Admin) -> CalendarView:
    """Save a new calendar version (e.g. a newly published year); running clocks, provisional ones above all,
    are recomputed on it."""
    runtime = request.app.state.runtime
    version, changed = await _save_and_recompute(
        request, CALENDAR_VERSIONS, lambda c: c.calendar_version, body, principal
    )
    await refresh_gauges(runtime)
    return CalendarView(
        version=version,
        recomputed_cases=changed,
        **body.model_dump(),
        provisional_deadlines=runtime.context.gauges["provisional_deadlines"],
    )
