"""What routes receive: the one typed runtime, the caller (by role) and paging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from caseflow_common.auth import Principal, Role, require
from caseflow_common.errors import ApiError
from caseflow_common.http import PageParams, page_params, runtime_of
from dispatch.uow import DispatchRuntime

Runtime = Annotated[DispatchRuntime, Depends(runtime_of)]


def unit_in_force(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A unit's principal of these roles whose unit is in the directory in force: a retired unit's tokens (or a
    unit's before its effective date) no longer act on or read cases (403)."""
    needed = require(*roles)

    # A default, not an Annotated alias: the annotation is a string here and `needed` a local name.
    async def principal(rt: Runtime, who: Principal = Depends(needed)) -> Principal:
        if who.unit and who.unit not in rt.context.reference.units:
            raise ApiError(403, "unit_not_in_force", f"unit {who.unit} is not in the directory in force (retired)")
        return who

    return principal


Department = Annotated[Principal, Depends(unit_in_force(Role.DEPARTMENT))]
Coordination = Annotated[Principal, Depends(unit_in_force(Role.COORDINATION))]
Worker = Annotated[Principal, Depends(unit_in_force(Role.DEPARTMENT, Role.COORDINATION))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]

Paging = Annotated[PageParams, Depends(page_params)]
