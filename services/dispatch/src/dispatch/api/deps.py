"""What routes receive: the one typed runtime, the caller (by role; the live stream's also by query token) and
paging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from caseflow_common.auth import Principal, Role, TokenCodec, require
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


class StreamGate:
    """The department or coordination caller of the live stream: its bearer token from the Authorization header or,
    on this endpoint only, from ``?access_token=`` (EventSource cannot send headers); its unit must be in force, as on
    every work route (403 for a retired unit). ``roles`` states who may stream, as a ``require(...)`` gate does."""

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
        if principal.unit and principal.unit not in rt.context.reference.units:
            raise ApiError(
                403, "unit_not_in_force", f"unit {principal.unit} is not in the directory in force (retired)"
            )
        return principal


StreamWorker = Annotated[Principal, Depends(StreamGate())]
