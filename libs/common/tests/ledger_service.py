"""A throwaway service for the messaging tests: it records every applied event in a ledger (its one table), on
its own topic contract, with unsigned events allowed (messaging mechanics; signatures have their own tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field
from sqlalchemy import Column, Integer, String, Table, func, insert, select

from caseflow_common import contracts
from caseflow_common.db import new_metadata
from caseflow_common.events import Actor, Envelope, Payload, new_event, register
from caseflow_common.messaging.consumer import PermanentError
from caseflow_common.messaging.tables import messaging_tables
from caseflow_common.runtime import ServiceRuntime, ServiceSpec, create_app
from caseflow_common.settings import CommonSettings
from caseflow_common.testing import ManualClock, service_settings
from caseflow_common.uow import UnitOfWork

# A throwaway service that records every applied event in a ledger.

TOPIC = "caseflow.intake.v1"
# This module is the ledger service's contract: its events travel on TOPIC (the consumers' allowlist says so).
contracts.PRODUCER_TOPICS[__name__] = TOPIC


@register
class LedgerTouched(Payload):
    event_type = "LedgerTouched"
    n: int = Field(description="position of this event within its case")
    poison: bool = False


@dataclass(frozen=True)
class Ledger:
    """The test service's context: its one table."""

    table: Table


def make_spec(name: str) -> tuple[ServiceSpec[UnitOfWork, Ledger], Ledger]:
    md = new_metadata()
    messaging_tables(md)
    ledger = Table(
        "ledger",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False),
        Column("case_id", String(40), nullable=False),
        Column("n", Integer, nullable=False),
    )

    spec: ServiceSpec[UnitOfWork, Ledger] = ServiceSpec(
        name=name,
        metadata=md,
        migrations=None,
        own_topic=TOPIC,
        uow_class=UnitOfWork,
        consumes=[TOPIC],
        handlers={LedgerTouched: on_touched},
    )
    return spec, Ledger(ledger)


async def on_touched(env: Envelope, uow: UnitOfWork, ctx: Ledger) -> None:
    event = env.payload_as(LedgerTouched)
    if event.poison:
        raise PermanentError("poison pill")
    await uow.session.execute(insert(ctx.table).values(event_id=str(env.event_id), case_id=env.case_id, n=event.n))


def touched(case_id: str, n: int, at: datetime, poison: bool = False) -> Envelope:
    return new_event(
        LedgerTouched(n=n, poison=poison),
        case_id=case_id,
        producer="ledger",
        actor=Actor(role="system", id="test"),
        occurred_at=at,
    )


async def ledger_rows(runtime: ServiceRuntime[UnitOfWork, Ledger]) -> list[tuple[str, str, int]]:
    t = runtime.context.table
    async with runtime.sessions() as s:
        return [tuple(r) for r in (await s.execute(select(t.c.event_id, t.c.case_id, t.c.n).order_by(t.c.id))).all()]


async def ledger_count(runtime: ServiceRuntime[UnitOfWork, Ledger]) -> int:
    t = runtime.context.table
    async with runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(t))).scalar_one()


def build_ledger(settings: CommonSettings, clock=None):  # type: ignore[no-untyped-def]
    spec, ledger = make_spec(settings.service_name)
    runtime = ServiceRuntime(spec, settings, ledger, clock or ManualClock())
    return runtime, create_app(runtime, title="ledger", description="test", routers=[], manage_runtime=False)


async def emit(runtime: ServiceRuntime, envelopes) -> None:  # type: ignore[no-untyped-def]
    async with runtime.uow() as uow:
        for env in envelopes:
            uow.emit(env)
        await uow.commit()


async def count_is(runtime: ServiceRuntime, n: int) -> bool:
    return await ledger_count(runtime) == n


async def ledger_settings(broker: str, prefix: str, databases, **overrides) -> CommonSettings:  # type: ignore[no-untyped-def]
    """The ledger service on its own database, unsigned events allowed (messaging mechanics)."""
    return service_settings(
        CommonSettings,
        broker=broker,
        prefix=prefix,
        database_url=await databases.new_url("ledger"),
        service_name="ledger",
        require_signed_events=False,
        **overrides,
    )
