"""The routing table's use cases: publish a new version (admin), store the file's table as the seed at start-up."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from caseflow_common.auth import Principal
from dispatch.uow import DispatchRuntime

log = logging.getLogger(__name__)


async def publish_routing(
    rt: DispatchRuntime, rules: list[dict[str, Any]], *, base_version: int | None, who: Principal
) -> dict[str, Any]:
    """Validate the rules against the directory and store them as the next version; the stored version."""
    store = rt.context.routing
    async with rt.uow() as uow:
        by = f"{who.role}:{who.subject}"
        table = await store.publish(uow.routing, rules, base_version=base_version, now=uow.clock(), by=by)
        await uow.commit()
        store.remember(table)
        stored = await uow.routing.get(table.version)
    if stored is None:
        raise RuntimeError(f"routing version {table.version} vanished after it was stored")
    return stored


async def seed_routing(rt: DispatchRuntime) -> None:
    """Start-up step: store the routing file as the first version unless a version is stored already."""
    store = rt.context.routing
    try:
        async with rt.uow() as uow:
            table = await store.seed(uow.routing, now=uow.clock())
            if table is None:
                return
            await uow.commit()
    except IntegrityError:
        log.info("another replica stored the routing seed first")
        return
    store.remember(table)
