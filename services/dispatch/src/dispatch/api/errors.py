"""The one place where dispatch's domain and service errors become HTTP answers (installed on the app)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from caseflow_common.errors import ApiError, error_body
from dispatch.directory_store import StaleDirectoryVersion
from dispatch.domain import IllegalTransition, NotYourCase, UnknownCategory, UnknownRegion, UnknownUnit, ValidationError
from dispatch.domain.directory_log import DirectoryConflict, EntryNotFound
from dispatch.repository import ConcurrentUpdate
from dispatch.routing_store import RoutingRejected, StaleRoutingVersion
from dispatch.scope import CaseNotFound

ANSWERED: tuple[type[Exception], ...] = (
    CaseNotFound,
    IllegalTransition,
    NotYourCase,
    ValidationError,
    UnknownUnit,
    UnknownCategory,
    UnknownRegion,
    RoutingRejected,
    StaleRoutingVersion,
    StaleDirectoryVersion,
    DirectoryConflict,
    EntryNotFound,
    ConcurrentUpdate,
    IntegrityError,
)


def to_api_error(exc: Exception) -> ApiError:
    """404 not the caller's / unknown, 409 state or a concurrent change, 403 role on the case, 422 input."""
    match exc:
        case CaseNotFound():
            return ApiError(404, "not_found", f"case {exc} not found")
        case EntryNotFound():
            return ApiError(404, "not_found", exc.reason)
        case DirectoryConflict():
            return ApiError(409, "directory_conflict", exc.reason, exc.details)
        case IllegalTransition():
            return ApiError(409, "illegal_transition", exc.reason)
        case NotYourCase():
            return ApiError(403, "forbidden", exc.reason)
        case ValidationError() | UnknownUnit() | UnknownCategory() | UnknownRegion():
            return ApiError(422, "invalid_request", exc.reason, [exc.reason])
        case RoutingRejected():
            return ApiError(422, "invalid_routing_table", str(exc), exc.problems)
        case StaleRoutingVersion() | StaleDirectoryVersion():
            return ApiError(409, "stale_version", str(exc))
        case ConcurrentUpdate() | IntegrityError():
            return ApiError(409, "concurrent_update", "it changed meanwhile; read it again and retry")
    raise TypeError(f"{type(exc).__name__} is not one of the errors dispatch answers") from exc


async def _answer(_: Request, exc: Exception) -> JSONResponse:
    error = to_api_error(exc)
    return JSONResponse(error_body(error.code, error.message, error.details), status_code=error.status)


def install_error_answers(app: FastAPI) -> None:
    """Answer dispatch's errors wherever a route raises them, in the common error shape."""
    for cls in ANSWERED:
        app.add_exception_handler(cls, _answer)
