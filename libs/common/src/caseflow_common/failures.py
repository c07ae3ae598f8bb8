"""Transient or permanent: the one classification of failures that consumers, the relay and the HTTP layer share.

A **transient** failure (database or broker unavailable, a timeout, a lost connection) says nothing about the message
or the request: retry later, never dead-letter, answer 503 with ``Retry-After``. Anything else is the message's or
the request's own problem (ARCHITECTURE.md rule 6).
"""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, NodeNotReadyError
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# Exception types (by name, so no driver has to be imported) that mean "the database is not there right now".
_DRIVER_UNAVAILABLE = frozenset(
    {
        "CannotConnectNowError",  # PostgreSQL starting up / shutting down (57P03)
        "AdminShutdownError",  # 57P01
        "CrashShutdownError",
        "ConnectionDoesNotExistError",  # asyncpg: the connection was closed under us
        "ConnectionFailureError",
        "PostgresConnectionError",
        "TooManyConnectionsError",
        "InternalClientError",
        "QueryCanceledError",  # statement timeout
    }
)
_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    OperationalError,  # SQLite "database is locked", PostgreSQL connection refused / terminated
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
    TimeoutError,
    asyncio.TimeoutError,
    ConnectionError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
)


# The exception classes a transient failure surfaces as (``is_transient`` decides for each instance): what the HTTP
# layer turns into 503 + Retry-After where it is raised.
TRANSIENT_ROOTS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError, TimeoutError, KafkaError)


class TransientFailure(Exception):
    """Raised by a consumer's batch when a dependency is unavailable: the batch is retried as it was, later."""


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) means a dependency is unavailable rather than the input being wrong."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (TransientFailure, *_TRANSIENT_TYPES)):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, KafkaError) and getattr(current, "retriable", False):
            return True
        if type(current).__name__ in _DRIVER_UNAVAILABLE:
            return True
        current = current.__cause__ or current.__context__
    return False
