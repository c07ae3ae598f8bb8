"""The one place where escalation's domain and command errors become HTTP answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from caseflow_common.errors import ApiError, not_found
from escalation.commands import NotFound, Unprocessable, UnusablePolicies


@contextmanager
def api_errors() -> Iterator[None]:
    """Translate errors raised inside the block: 404 not in the caller's scope, 422 unusable policies or a request
    that cannot be carried out as it stands."""
    try:
        yield
    except NotFound as exc:
        raise not_found(exc.what) from exc
    except UnusablePolicies as exc:
        raise ApiError(422, "invalid_policies", "the policy set is not usable", exc.problems) from exc
    except Unprocessable as exc:
        raise ApiError(422, exc.code, exc.message, exc.problems) from exc
