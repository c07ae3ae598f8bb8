"""Recompute every running clock after the calendar or the policies changed (DOMAIN.md: change the calendar,
recompute); case by case in small transactions, so a large backlog never holds one long lock."""

from __future__ import annotations

import logging

from caseflow_common.runtime import ServiceRuntime
from escalation.config import ConfigStore
from escalation.tracking import refresh_case

log = logging.getLogger(__name__)

CASES_PER_TRANSACTION = 200


async def recompute_running_clocks(runtime: ServiceRuntime) -> int:
    """Replay every case that has a running clock under the current rules; the number of cases changed."""
    store: ConfigStore = runtime.context.config
    after, changed = "", 0
    while True:
        async with runtime.uow() as uow:
            cfg = await store.refresh(uow.repo)  # type: ignore[attr-defined]
            case_ids = await uow.repo.running_case_ids(after, CASES_PER_TRANSACTION)  # type: ignore[attr-defined]
            for case_id in case_ids:
                changed += await refresh_case(uow, cfg, case_id, uow.clock())  # type: ignore[arg-type]
            await uow.commit()
        if len(case_ids) < CASES_PER_TRANSACTION:
            break
        after = case_ids[-1]
    log.info("running clocks recomputed", extra={"cases_changed": changed})
    return changed
