"""Abuse limits on intake's write endpoints: 429 with Retry-After once a client spends its burst (API.md, Common).

Authenticated writes (hotline and grid reports, return visits) are counted per principal subject and route; Open311
POSTs per api_key, or per client address while the key is not a known one (so guessing keys is slow too).
"""

# No `from __future__ import annotations`: FastAPI must read the closure's Depends(...) annotation as an object.

import math
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.exceptions import HTTPException as StarletteHTTPException

from caseflow_common.auth import Principal, Role, require
from intake import metrics
from intake.api.deps import intake_runtime
from intake.ratelimit import TokenBuckets


class RateLimited(StarletteHTTPException):
    """429 Too Many Requests, with the seconds to wait in Retry-After (whole seconds, at least 1)."""

    def __init__(self, wait_s: float) -> None:
        self.retry_after = max(1, math.ceil(wait_s))
        super().__init__(
            429,
            f"too many requests from this client; retry in {self.retry_after} s",
            headers={"Retry-After": str(self.retry_after)},
        )


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", "") or request.url.path)


def spend(request: Request, buckets: TokenBuckets, client: str) -> None:
    """Take one token of ``client``'s bucket for this route, or refuse with 429 (counted by route)."""
    route = _route(request)
    wait = buckets.take(f"{route} {client}")
    if wait > 0:
        metrics.RATE_LIMITED.labels("intake", route).inc()
        raise RateLimited(wait)


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy: the address the proxy headers give, if trusted)."""
    return request.client.host if request.client is not None else "unknown"


async def open311_limit(request: Request) -> None:
    """A dependency of Open311 POSTs: one token of the api_key's bucket (the client address's for an unknown key);
    the api_key of the form, else of the query string.

    It runs before the form's fields are checked, so malformed requests count too.
    """
    ctx = intake_runtime(request).context
    form = await request.form()
    api_key = form.get("api_key") or request.query_params.get("api_key")
    subject = ctx.open311_keys.get(api_key) if isinstance(api_key, str) else None
    spend(request, ctx.rate_limits.open311, f"key:{subject}" if subject else f"addr:{client_address(request)}")


def limited(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the authenticated principal of ``roles``, once its bucket for this route allows the request."""
    allowed = require(*roles)

    async def dependency(request: Request, principal: Annotated[Principal, Depends(allowed)]) -> Principal:
        spend(request, intake_runtime(request).context.rate_limits.writes, f"sub:{principal.subject}")
        return principal

    return dependency


HotlineWriter = Annotated[Principal, Depends(limited(Role.HOTLINE))]
GridWriter = Annotated[Principal, Depends(limited(Role.GRID))]
