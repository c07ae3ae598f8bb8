"""Bearer tokens (HS256 JWT) carrying a role and, for departments and coordination institutions, a unit code.

Missing or bad token -> 401; valid token with the wrong role -> 403. Scoping to a unit's own cases is the
service's job (it knows which unit a case belongs to); ``Principal.unit`` is what it checks against.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from caseflow_common.errors import ApiError
from caseflow_common.events import Actor


class Role(StrEnum):
    HOTLINE = "hotline"
    GRID = "grid"
    DEPARTMENT = "department"
    COORDINATION = "coordination"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    OPS = "ops"


UNIT_ROLES = {Role.DEPARTMENT, Role.COORDINATION}


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    unit: str | None = None

    @property
    def actor(self) -> Actor:
        """This principal as the actor of the events it causes."""
        return Actor(role=self.role.value, id=self.subject, unit=self.unit)


class TokenCodec:
    """Issues and verifies tokens with one shared secret.

    A client sends the same token with every request, so a verified token's principal is kept (at most
    ``VERIFIED_KEPT`` tokens, the oldest dropped first) until the token's ``exp``: the same token again costs a lookup,
    not a signature check and a claims parse. Only tokens that verified are kept; any other token is checked in full.
    """

    VERIFIED_KEPT = 4096

    def __init__(
        self,
        secret: str,
        issuer: str = "caseflow",
        *,
        require_expiry: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("auth secret is empty")
        self._secret, self._issuer, self._clock = secret, issuer, clock
        # Outside dev every token must say when it ends; dev tokens carry one too (long, but finite).
        self._required = ["sub", "role", "exp"] if require_expiry else ["sub", "role"]
        self._verified: dict[str, tuple[Principal, float]] = {}  # token -> (principal, the end of its validity)

    def issue(self, subject: str, role: Role | str, unit: str | None = None, ttl: timedelta | None = None) -> str:
        role = Role(role)
        if role in UNIT_ROLES and not unit:
            raise ValueError(f"role {role} needs a unit code")
        claims: dict[str, Any] = {
            "sub": subject,
            "role": role.value,
            "iss": self._issuer,
            "iat": int(datetime.now(UTC).timestamp()),
        }
        if unit:
            claims["unit"] = unit
        if ttl:
            claims["exp"] = int((datetime.now(UTC) + ttl).timestamp())
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        kept = self._verified.get(token)
        if kept is not None:
            principal, until = kept
            if self._clock() < until:
                return principal
            del self._verified[token]
            raise ApiError(401, "unauthenticated", "invalid or expired token")
        principal, until = self._decode(token)
        if len(self._verified) >= self.VERIFIED_KEPT:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, until)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        """The token's principal and when it expires (never, for a dev token without ``exp``), or 401."""
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], issuer=self._issuer, options={"require": self._required}
            )
            role = Role(claims["role"])
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise ApiError(401, "unauthenticated", "invalid or expired token") from exc
        unit = claims.get("unit")
        if unit is not None and not isinstance(unit, str):
            raise ApiError(401, "unauthenticated", "the token's unit claim must be one unit code")
        if role in UNIT_ROLES and not unit:
            raise ApiError(401, "unauthenticated", "token lacks the unit code its role needs")
        until = float(claims["exp"]) if "exp" in claims else float("inf")  # PyJWT: expired once now >= exp
        return Principal(subject=str(claims["sub"]), role=role, unit=unit), until


_bearer = HTTPBearer(auto_error=False, description="Bearer token from the identity provider (dev: var/dev-tokens.json)")


async def current_principal(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise ApiError(401, "unauthenticated", "missing bearer token")
    codec: TokenCodec = request.app.state.token_codec
    return codec.verify(creds.credentials)


class RoleGate:
    """FastAPI dependency: an authenticated principal with one of ``roles`` (any role when empty).

    The roles stay readable on the route (``roles``), so the authorization matrix (tests/security) compares each
    route's declared roles with its policy table and then checks that the route enforces them."""

    def __init__(self, roles: Iterable[Role | str]) -> None:
        self.roles: frozenset[Role] = frozenset(Role(r) for r in roles)

    async def __call__(self, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if self.roles and principal.role not in self.roles:
            raise ApiError(403, "forbidden", f"role {principal.role} may not do this")
        return principal


def require(*roles: Role | str) -> RoleGate:
    """FastAPI dependency: an authenticated principal with one of ``roles`` (any role when none given)."""
    return RoleGate(roles)


AnyPrincipal = Annotated[Principal, Depends(require())]
