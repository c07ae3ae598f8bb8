"""What dispatch keeps of escalation's events on a case: supervision actions and SLA warnings attached to it, and
its clocks as escalation last published them (part of ``repository.CaseRepository``, which gives the statements,
the touched cases and the write at flush)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update

from caseflow_common.db import as_utc
from dispatch.orm import case_clocks, supervision_actions

_PUBLISHED = select(func.max(case_clocks.c.published_at)).where(case_clocks.c.case_id == bindparam("case_id"))
_DROP_CLOCKS = delete(case_clocks).where(case_clocks.c.case_id.in_(bindparam("case_ids", expanding=True)))
_ADD_CLOCKS = insert(case_clocks)


class EscalationInputs:
    """Supervision and clocks from escalation, on the case repository."""

    touched: set[str]

    async def _execute(self, stmt: Any, params: Any = None) -> Any:
        raise NotImplementedError

    def _init_escalation_inputs(self) -> None:
        self._published: dict[str, datetime | None] = {}  # case -> when its clocks (stored or kept) were published
        self._clock_lists: dict[str, list[dict[str, Any]]] = {}  # case -> its clocks' rows, written at flush

    # -- supervision (from escalation) -----------------------------------------------------------------------
    async def record_alert(
        self,
        *,
        action_id: str,
        case_id: str,
        kind: str,
        rung: str,
        unit: str | None,
        clock_kind: str | None,
        deadline: datetime | None,
        at: datetime,
    ) -> None:
        """Attach a supervision action or SLA warning to the case (once)."""
        t = supervision_actions
        key = and_(t.c.action_id == action_id, t.c.case_id == case_id)
        if (await self._execute(select(t.c.action_id).where(key))).first() is None:
            await self._execute(
                insert(t).values(
                    action_id=action_id,
                    case_id=case_id,
                    kind=kind,
                    rung=rung,
                    unit=unit,
                    status="open",
                    clock_kind=clock_kind,
                    deadline=deadline,
                    issued_at=at,
                )
            )
            self.touched.add(case_id)

    async def resolve_alert(self, action_id: str, at: datetime) -> None:
        """Mark a supervision action resolved on every case it names."""
        t = supervision_actions
        open_on = select(t.c.case_id).where(t.c.action_id == action_id, t.c.status == "open")
        self.touched.update((await self._execute(open_on)).scalars())
        await self._execute(update(t).where(t.c.action_id == action_id).values(status="resolved", resolved_at=at))

    # -- clocks (from escalation) ----------------------------------------------------------------------------
    async def replace_clocks(self, case_id: str, clocks: list[dict[str, Any]], published_at: datetime) -> bool:
        """Keep the case's clocks as escalation last published them; a list older than the stored one is ignored
        (a replay of an earlier event). True when the list was applied. Written at ``flush``: the unit of work's
        lists in two statements, whatever their number."""
        if case_id in self._published:
            stored = self._published[case_id]
        else:
            stored = as_utc((await self._execute(_PUBLISHED, {"case_id": case_id})).scalar_one_or_none())
        if stored is not None and stored > published_at:
            return False
        self._published[case_id] = published_at
        self._clock_lists[case_id] = [
            {**c, "case_id": case_id, "position": i, "published_at": published_at} for i, c in enumerate(clocks)
        ]
        self.touched.add(case_id)
        return True

    async def preload_published(self, case_ids: Collection[str]) -> None:
        """When the stored clocks of these cases were published, in one statement (a consumed batch's lists)."""
        wanted = sorted(set(case_ids) - set(self._published))
        if not wanted:
            return
        t = case_clocks
        found = await self._execute(
            select(t.c.case_id, func.max(t.c.published_at)).where(t.c.case_id.in_(wanted)).group_by(t.c.case_id)
        )
        self._published.update(dict.fromkeys(wanted))
        self._published.update({case_id: as_utc(at) for case_id, at in found})

    async def _write_clock_lists(self) -> None:
        """The clock lists kept back, replacing the stored ones: one delete and one insert."""
        if self._clock_lists:
            lists, self._clock_lists = self._clock_lists, {}
            await self._execute(_DROP_CLOCKS, {"case_ids": sorted(lists)})
            rows = [row for case_id in sorted(lists) for row in lists[case_id]]
            if rows:
                await self._execute(_ADD_CLOCKS, rows)
