"""The one place where dispatch's domain and service errors become HTTP answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from caseflow_common.errors import ApiError
from dispatch.commands import CaseNotFound
from dispatch.domain import IllegalTransition, NotYourCase, UnknownCategory, UnknownRegion, UnknownUnit, ValidationError
from dispatch.repository import ConcurrentUpdate
from dispatch.routing_store import RoutingRejected, StaleRoutingVersion


@contextmanager
def api_errors() -> Iterator[None]:
    """Translate errors raised inside the block: 404 not yours / unknown, 409 state, 403 role on case, 422 input."""
    try:
        yield
    except CaseNotFound as exc:
        raise ApiError(404, "not_found", f"case {exc} not found") from exc
    except IllegalTransition as exc:
        raise ApiError(409, "illegal_transition", exc.reason) from exc
    except NotYourCase as exc:
        raise ApiError(403, "forbidden", exc.reason) from exc
    except (ValidationError, UnknownUnit, UnknownCategory, UnknownRegion) as exc:
        raise ApiError(422, "invalid_request", exc.reason, [exc.reason]) from exc
    except RoutingRejected as exc:
        raise ApiError(422, "invalid_routing_table", str(exc), exc.problems) from exc
    except StaleRoutingVersion as exc:
        raise ApiError(409, "stale_version", str(exc)) from exc
    except (ConcurrentUpdate, IntegrityError) as exc:
        raise ApiError(409, "concurrent_update", "it changed meanwhile; read it again and retry") from exc
