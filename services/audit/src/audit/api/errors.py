"""The one place where audit's refusals become HTTP answers."""

from __future__ import annotations

from caseflow_common.errors import ApiError, not_found


def record_not_found(case_id: str) -> ApiError:
    """404: the case has no record."""
    return not_found(f"record of case {case_id}")


def invalid_request(field: str, message: str, problem: str) -> ApiError:
    """422 naming the query parameter at fault."""
    return ApiError(422, "invalid_request", message, [{"field": field, "message": problem}])
