"""audit's reactions to events: every registered event of every topic goes into the case's record."""

from __future__ import annotations

import caseflow_common.contracts  # noqa: F401  (registers every payload model)
from audit import recording
from audit.context import AuditContext
from audit.uow import AuditUnitOfWork
from caseflow_common.events import Envelope, Payload, known_events
from caseflow_common.messaging.consumer import Handler


async def record(env: Envelope, uow: AuditUnitOfWork, ctx: AuditContext) -> None:
    """Append the event to its case's record in causal order (held until its cause is recorded)."""
    await recording.receive(env, uow, ctx.rules)


HANDLERS: dict[type[Payload], Handler[AuditUnitOfWork, AuditContext]] = {
    model: record for model in known_events().values()
}
