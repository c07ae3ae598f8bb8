"""SQL of supervision actions (GZ Art. 48; SZ Art. 56) and pattern warnings (SZ Art. 21; GZ Art. 48(3))."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, or_, select, text, update

from escalation.orm import pattern_warnings, supervision_actions, warning_recipients
from escalation.queries import Queries

_PG_ARRAY_TYPES = {
    "id": "text[]",
    "case_id": "text[]",
    "cycle": "int[]",
    "clock_kind": "text[]",
    "rung": "text[]",
    "unit": "text[]",
    "issued_at": "timestamptz[]",
    "rectification_deadline": "timestamptz[]",
    "policy_version": "int[]",
    "provisional": "boolean[]",
    "case_ids": "text[]",
    "status": "text[]",
    "resolved_at": "timestamptz[]",
    "resolved_by": "text[]",
    "rectification": "text[]",
    "leg": "text[]",
    "manual": "boolean[]",
    "reason": "text[]",
    "note": "text[]",
    "issued_by": "text[]",
}


_WARNING_INSERTS: dict[tuple[Any, ...], Any] = {}
_WARNINGS_PRESENT = select(pattern_warnings.c.id).where(pattern_warnings.c.id.in_(bindparam("ids", expanding=True)))


class SupervisionQueries(Queries):
    """Supervision actions and pattern warnings."""

    # --- supervision actions ----------------------------------------------------------------------------

    async def actions_of_cases(self, case_ids: Sequence[str]) -> list[Row]:
        """The clock-driven actions of the cases (manual ones follow no clock and never steer the ladder)."""
        if not case_ids:
            return []
        t = supervision_actions
        return list(await self.session.execute(select(t).where(t.c.case_id.in_(case_ids), t.c.manual.is_(False))))

    async def insert_actions(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Insert if absent; the ids actually inserted (an id already there was fired before)."""
        if not rows:
            return set()
        if self.is_postgres:  # one statement for the whole batch: column arrays through unnest
            cols = list(rows[0])
            arrays = {c: [json.dumps(r[c]) if c == "case_ids" else r[c] for r in rows] for c in cols}
            casts = ", ".join(f"CAST(:{c} AS {_PG_ARRAY_TYPES[c]})" for c in cols)
            select_list = ", ".join(f"{c}::json" if c == "case_ids" else c for c in cols)
            result = await self.session.execute(
                text(
                    f"INSERT INTO supervision_actions ({', '.join(cols)}) SELECT {select_list} FROM unnest({casts}) "
                    f"AS v({', '.join(cols)}) ON CONFLICT (id) DO NOTHING RETURNING id"
                ),
                arrays,
            )
            return {r[0] for r in result}
        stmt = (
            self._insert(supervision_actions)
            .on_conflict_do_nothing(index_elements=[supervision_actions.c.id])
            .returning(supervision_actions.c.id)
        )
        inserted = {r[0] for r in await self.session.execute(stmt, list(rows))}
        return inserted

    async def action(self, action_id: str, *, lock: bool = False) -> Row | None:
        stmt = select(supervision_actions).where(supervision_actions.c.id == action_id)
        if lock and self.is_postgres:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).first()

    async def resolve_action(self, action_id: str, *, at: datetime, by: str, rectification: str) -> None:
        await self.session.execute(
            update(supervision_actions)
            .where(supervision_actions.c.id == action_id)
            .values(status="resolved", resolved_at=at.astimezone(UTC), resolved_by=by, rectification=rectification)
        )

    async def list_actions(
        self,
        *,
        unit: str | None,
        rung: str | None,
        status: str | None,
        offset: int,
        limit: int,
        units: Collection[str] | None = None,
        manual: bool | None = None,
    ) -> tuple[list[Row], int]:
        """Actions newest first; `units` (when given) limits them to those addressed to one of these units."""
        t = supervision_actions
        conds = [
            c
            for c in (
                t.c.unit == unit if unit else None,
                t.c.unit.in_(sorted(units)) if units is not None else None,
                t.c.rung == rung if rung else None,
                t.c.status == status if status else None,
                t.c.manual.is_(manual) if manual is not None else None,
            )
            if c is not None
        ]
        total = (await self.session.execute(select(func.count()).select_from(t).where(*conds))).scalar_one()
        rows = await self.session.execute(
            select(t).where(*conds).order_by(t.c.issued_at.desc(), t.c.id).offset(offset).limit(limit)
        )
        return list(rows), int(total)

    # --- pattern warnings -------------------------------------------------------------------------------

    async def insert_warning(self, row: dict[str, Any], recipients: Sequence[str] = ()) -> bool:
        """Insert if absent, with the further units it reaches; True when this call inserted it."""
        shape = (self.is_postgres, tuple(row))
        if (stmt := _WARNING_INSERTS.get(shape)) is None:  # built once per dialect and shape of row
            stmt = _WARNING_INSERTS[shape] = (
                self._insert(pattern_warnings)
                .on_conflict_do_nothing(index_elements=[pattern_warnings.c.id])
                .returning(pattern_warnings.c.id)
            )
        result = await self.session.execute(stmt, row)
        inserted = result.first() is not None
        if inserted and recipients:
            await self.session.execute(
                warning_recipients.insert(), [{"warning_id": row["id"], "unit": u} for u in dict.fromkeys(recipients)]
            )
        return inserted

    async def warnings_present(self, warning_ids: Sequence[str]) -> set[str]:
        """Which of these warnings are stored (raised before)."""
        if not warning_ids:
            return set()
        rows = await self.session.execute(_WARNINGS_PRESENT, {"ids": list(warning_ids)})
        return {r[0] for r in rows}

    async def recipients_of(self, warning_ids: Sequence[str]) -> dict[str, list[str]]:
        if not warning_ids:
            return {}
        t = warning_recipients
        rows = await self.session.execute(select(t).where(t.c.warning_id.in_(warning_ids)).order_by(t.c.unit))
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(r.warning_id, []).append(r.unit)
        return found

    async def list_warnings(
        self,
        *,
        coordination_unit: str | None,
        kind: str | None,
        offset: int,
        limit: int,
        recipient: str | None = None,
        min_level: int | None = None,
    ) -> tuple[list[Row], int]:
        """Warnings newest first, of one coordination institution and/or reaching one unit (either, when both)."""
        t = pattern_warnings
        reaching = (
            t.c.id.in_(select(warning_recipients.c.warning_id).where(warning_recipients.c.unit == recipient))
            if recipient
            else None
        )
        own = t.c.coordination_unit == coordination_unit if coordination_unit else None
        scope = or_(own, reaching) if own is not None and reaching is not None else own if own is not None else reaching
        conds = [
            c
            for c in (
                scope,
                t.c.kind == kind if kind else None,
                t.c.level >= min_level if min_level else None,
            )
            if c is not None
        ]
        total = (await self.session.execute(select(func.count()).select_from(t).where(*conds))).scalar_one()
        rows = await self.session.execute(
            select(t).where(*conds).order_by(t.c.raised_at.desc(), t.c.id).offset(offset).limit(limit)
        )
        return list(rows), int(total)
