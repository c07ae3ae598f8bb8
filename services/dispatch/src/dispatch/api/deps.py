"""What routes receive: the one typed runtime, the caller (by role) and paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from caseflow_common.auth import Principal, Role, require
from caseflow_common.http import PageParams, page_params, runtime_of
from dispatch.uow import DispatchRuntime

Runtime = Annotated[DispatchRuntime, Depends(runtime_of)]

Department = Annotated[Principal, Depends(require(Role.DEPARTMENT))]
Coordination = Annotated[Principal, Depends(require(Role.COORDINATION))]
Worker = Annotated[Principal, Depends(require(Role.DEPARTMENT, Role.COORDINATION))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]

Paging = Annotated[PageParams, Depends(page_params)]
