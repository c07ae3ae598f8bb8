"""Entry point shared by every service: ``python -m <service> [serve|migrate]``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from caseflow_common.logging import configure_logging
from caseflow_common.runtime import ServiceRuntime
from caseflow_common.settings import CommonSettings

S = TypeVar("S", bound=CommonSettings)


def main(
    *,
    settings_factory: Callable[[], S],
    build: Callable[[S], tuple[ServiceRuntime[Any, Any], FastAPI]],
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(description="caseflow service")
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=["serve", "migrate"],
        help="serve: HTTP API + relay + consumers; migrate: run database migrations and exit",
    )
    args = parser.parse_args(argv)
    settings = settings_factory()
    configure_logging(settings.service_name, settings.log_level)
    runtime, app = build(settings)
    if args.command == "migrate":

        async def _migrate() -> None:
            from caseflow_common import db

            if runtime.spec.migrations is None:
                raise SystemExit(f"{runtime.spec.name} has no migrations")
            await db.migrate(runtime.engine, runtime.spec.migrations)
            await runtime.engine.dispose()

        asyncio.run(_migrate())
        return
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
