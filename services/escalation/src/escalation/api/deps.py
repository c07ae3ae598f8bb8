"""What escalation's routes depend on: the one typed runtime, paging, and the principals each route admits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from caseflow_common.auth import Principal, Role, require
from caseflow_common.http import PageParams, page_params, runtime_dependency
from escalation.uow import EscalationRuntime

Runtime = Annotated[EscalationRuntime, Depends(runtime_dependency)]
Paging = Annotated[PageParams, Depends(page_params)]

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
ClockReader = Annotated[Principal, Depends(require(Role.HOTLINE, Role.SUPERVISOR, Role.DEPARTMENT, Role.COORDINATION))]
ActionReader = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.COORDINATION, Role.DEPARTMENT))]
Rectifier = Annotated[Principal, Depends(require(Role.DEPARTMENT, Role.COORDINATION))]
WarningReader = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.COORDINATION, Role.DEPARTMENT))]
Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]
