"""What routes receive: the one typed runtime, the caller (by role; the live stream's also by query token) and
paging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from caseflow_common.auth import Principal, Role, TokenCodec, require
from caseflow_common.errors import ApiError
from caseflow_common.http import PageParams, page_params, runtime_dependency
from dispatch.uow import DispatchRuntime

Runtime = Annotated[DispatchRuntime, Depends(runtime_dependency)]


def check_unit(rt: DispatchRuntime, who: Principal) -> Principal:
    """The caller's unit is in the directory in force (a retired unit's tokens, or a unit's before its effective
    date, no longer act on or read cases) and is of the kind its role is for: a coordination institution
    (平安建设组织协调机构) for the coordination role, a member unit for the department role. 403 otherwise."""
    if not who.unit:
        return who
    unit = rt.context.reference.units.get(who.unit)
    if unit is None:
        raise ApiError(403, "unit_not_in_force", f"unit {who.unit} is not in the directory in force (retired)")
    if (who.role is Role.COORDINATION) != unit.is_coordination:
        what = "a coordination institution" if unit.is_coordination else "not a coordination institution"
        raise ApiError(403, "unit_not_for_role", f"unit {who.unit} is {what}: a {who.role} token cannot name it")
    return who


def unit_in_force(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A unit's principal of these roles whose unit is in force and fits its role (``check_unit``)."""
    needed = require(*roles)

    # A default, not an Annotated alias: the annotation is a string here and `needed` a local name.
    async def principal(rt: Runtime, who: Principal = Depends(needed)) -> Principal:
        return check_unit(rt, who)

    return principal


Department = Annotated[Principal, Depends(unit_in_force(Role.DEPARTMENT))]
Coordination = Annotated[Principal, Depends(unit_in_force(Role.COORDINATION))]
Worker = Annotated[Principal, Depends(unit_in_force(Role.DEPARTMENT, Role.COORDINATION))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]

Paging = Annotated[PageParams, Depends(page_params)]


class StreamGate:
    """The department or coordination caller of the live stream: its bearer token from the Authorization header or,
    on this endpoint only, from ``?access_token=`` (EventSource cannot send headers); its unit must be in force and
    fit its role, as on every work route (403). ``roles`` states who may stream, as a ``require(...)`` gate does."""

    roles = frozenset({Role.DEPARTMENT, Role.COORDINATION})

    async def __call__(
        self,
        request: Request,
        rt: Runtime,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))],
        access_token: Annotated[
            str | None,
            Query(
                description="the bearer token, for browsers' EventSource, which cannot set headers (this endpoint only)"
            ),
        ] = None,
    ) -> Principal:
        token = creds.credentials if creds is not None and creds.scheme.lower() == "bearer" else access_token
        if not token:
            raise ApiError(401, "unauthenticated", "missing bearer token (header, or access_token on this endpoint)")
        codec: TokenCodec = request.app.state.token_codec
        principal = codec.verify(token)
        if principal.role not in self.roles:
            raise ApiError(403, "forbidden", f"role {principal.role} may not do this")
        return check_unit(rt, principal)


StreamWorker = Annotated[Principal, Depends(StreamGate())]
