"""Entry point shared by every service: ``python -m <service> [serve|migrate|...]``, plus a service's own commands."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from caseflow_common.logging import configure_logging
from caseflow_common.runtime import ServiceRuntime
from caseflow_common.settings import CommonSettings

S = TypeVar("S", bound=CommonSettings)

if TYPE_CHECKING:
    from caseflow_common.operations import ReplayReport


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    return None


@dataclass(frozen=True)
class ServiceCommand:
    """A maintenance command of one service: ``run`` gets the built (not started) runtime and the parsed arguments
    and returns the lines to print; the database engine is disposed afterwards."""

    help: str
    run: Callable[[Any, argparse.Namespace], Awaitable[list[str]]]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments


def main(
    *,
    settings_factory: Callable[[], S],
    build: Callable[[S], tuple[ServiceRuntime[Any, Any], FastAPI]],
    argv: list[str] | None = None,
    commands: Mapping[str, ServiceCommand] | None = None,
) -> None:
    parser = argparse.ArgumentParser(description="caseflow service")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="HTTP API + relay + consumers (the default)")
    sub.add_parser("migrate", help="run database migrations and exit")
    rp = sub.add_parser("republish", help="publish again every outbox event sent since a time (broker lost data)")
    rp.add_argument(
        "--since", required=True, type=_aware, help="ISO 8601 time with offset, e.g. 2026-12-01T08:00+08:00"
    )
    dq = sub.add_parser("dlq-replay", help="apply again this service's dead letters (once their cause is fixed)")
    dq.add_argument("--reason", help="only letters parked for this reason (e.g. unknown_version)")
    dq.add_argument("--dry-run", action="store_true", help="count what would be replayed, change nothing")
    own = dict(commands or {})
    for name, command in own.items():
        command.arguments(sub.add_parser(name, help=command.help))
    args = parser.parse_args(argv)
    args.command = args.command or "serve"
    try:
        settings = settings_factory()
    except ValidationError as exc:
        # Name what is wrong, never the value (a key's tail must not reach a log).
        for err in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(p) for p in err.get("loc", ())) or "settings"
            print(f"invalid setting {where}: {err.get('msg', 'invalid')}", file=sys.stderr)
        raise SystemExit(2) from None
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
    if args.command == "republish":
        print(f"{asyncio.run(_republish(runtime, args.since))} outbox rows will be published again")
        return
    if args.command in own:
        for line in asyncio.run(_own(runtime, own[args.command], args)):
            print(line)
        return
    if args.command == "dlq-replay":
        report = asyncio.run(_replay(runtime, args.reason, args.dry_run))
        verb = "would replay" if args.dry_run else "replayed"
        print(f"read {report.read} dead letters; {report.mine} are this service's; {verb} {report.mine}:")
        for reason, n in sorted(report.by_reason.items()):
            print(f"  {reason}: {n}")
        return
    # uvicorn shuts down gracefully on SIGTERM (requests drained, runtime stopped, offsets committed), then raises
    # the signal again: exit 0 then, so a supervisor sees "stopped as asked", not "killed" (143 / -15).
    signal.signal(signal.SIGTERM, _exit_cleanly)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
    DrainingServer(config, runtime).run()


class DrainingServer(uvicorn.Server):
    """uvicorn's server that tells the runtime a shutdown began (``ServiceRuntime.draining``) before it drains the
    open requests: long-lived answers (dispatch's live stream) end then, instead of holding the drain until its
    timeout cuts them."""

    _wake: Callable[[], None] | None = None  # wakes main_loop; set while it runs

    def __init__(self, config: uvicorn.Config, runtime: ServiceRuntime[Any, Any]) -> None:
        super().__init__(config)
        self.runtime = runtime

    @property
    def should_exit(self) -> bool:
        return self._should_exit

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        """Set by a signal (handle_exit), by the lifespan or by whoever stops the server: also wakes main_loop."""
        self._should_exit = value
        if value and self._wake is not None:
            self._wake()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.runtime.draining()
        else:
            loop.call_soon_threadsafe(self.runtime.draining)  # called from a signal handler: let the loop run it
        super().handle_exit(sig, frame)

    async def main_loop(self) -> None:
        """uvicorn's own loop wakes every 100 ms to see whether to stop, and every tenth time renews the Date header;
        this one wakes once a second for the header, and at once when should_exit is set (an idle service wakes its
        event loop nine times a second less)."""
        loop, exit_requested = asyncio.get_running_loop(), asyncio.Event()

        # Thread-safe: a signal handler runs between two bytecodes of whatever the loop was doing, and only a write
        # to the loop's self-pipe ends the wait it may be in.
        def wake() -> None:
            loop.call_soon_threadsafe(exit_requested.set)

        self._wake = wake
        try:
            while not await self.on_tick(0):  # tick 0: renews the Date header every time
                try:
                    await asyncio.wait_for(exit_requested.wait(), timeout=1.0)
                except TimeoutError:
                    pass
        finally:
            self._wake = None


def _exit_cleanly(signum: int, frame: object) -> None:
    sys.exit(0)


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time with its offset (e.g. +08:00)")
    return value


async def _own(runtime: ServiceRuntime[Any, Any], command: ServiceCommand, args: argparse.Namespace) -> list[str]:
    try:
        return await command.run(runtime, args)
    finally:
        await runtime.engine.dispose()


async def _republish(runtime: ServiceRuntime[Any, Any], since: datetime) -> int:
    from caseflow_common.operations import mark_unsent

    try:
        return await mark_unsent(runtime.sessions, runtime.outbox, since=since)
    finally:
        await runtime.engine.dispose()


async def _replay(runtime: ServiceRuntime[Any, Any], reason: str | None, dry_run: bool) -> ReplayReport:
    from caseflow_common.operations import replay_dead_letters

    try:
        return await replay_dead_letters(runtime, reason=reason, dry_run=dry_run)
    finally:
        await runtime.engine.dispose()
