"""The one place where intake's refusals become HTTP answers: intake's own error envelope, and Open311's 400s."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from caseflow_common.errors import ApiError, not_found
from intake import metrics
from intake.domain.errors import (
    AlreadyVisited,
    CaseNotClosed,
    CaseNotFound,
    EvaluationWithoutContact,
    ExternalIdConflict,
    InvalidReport,
)
from intake.domain.open311 import open311_field


def invalid_body(reason: str | None, details: list[dict[str, str]]) -> ApiError:
    """The 422 of a body that is not JSON (with the parser's reason) or has invalid fields (each named)."""
    if reason is not None:
        metrics.REPORTS_REJECTED.labels("malformed").inc()
        return ApiError(
            422,
            "malformed_json",
            f"body is not valid JSON: {reason}",
            [{"field": "body", "message": reason, "type": "json_invalid"}],
        )
    metrics.REPORTS_REJECTED.labels("invalid").inc()
    fields = ", ".join(sorted({d["field"] for d in details}))
    return ApiError(422, "invalid_request", f"invalid fields: {fields}", details)


def open311_invalid(errors: Iterable[tuple[Sequence[str | int], str]]) -> ApiError:
    """Open311's 400 naming each invalid form field, from (location in the report body, message) pairs."""
    details = [{"field": open311_field(loc), "message": message} for loc, message in errors]
    return ApiError(400, "invalid_request", "invalid fields", details)


@contextmanager
def api_errors() -> Iterator[None]:
    """Translate intake's refusals raised inside the block: 422 invalid, 409 conflict or state, 404 unknown case."""
    try:
        yield
    except InvalidReport as exc:
        details = [{"field": ".".join(str(p) for p in e.loc), "message": e.message, "type": e.code} for e in exc.errors]
        raise invalid_body(None, details) from None
    except ExternalIdConflict:
        metrics.REPORTS_REJECTED.labels("conflict").inc()
        raise ApiError(409, "external_id_conflict", "external_id was already used with a different body") from None
    except CaseNotFound:
        raise not_found("case") from None
    except EvaluationWithoutContact:
        raise ApiError(
            422,
            "invalid_request",
            "invalid fields: satisfaction",
            [{"field": "satisfaction", "message": "an evaluation needs a requester who was reached"}],
        ) from None
    except CaseNotClosed as exc:
        raise ApiError(409, "case_not_closed", exc.reason) from None
    except AlreadyVisited as exc:
        raise ApiError(
            409, "already_visited", f"the return visit of handling cycle {exc.cycle} is already recorded"
        ) from None


@contextmanager
def open311_errors() -> Iterator[None]:
    """As ``api_errors``, but a report the catalogue refuses is Open311's 400 naming the form fields."""
    with api_errors():
        try:
            yield
        except InvalidReport as exc:
            raise open311_invalid((e.loc, e.message) for e in exc.errors) from None
