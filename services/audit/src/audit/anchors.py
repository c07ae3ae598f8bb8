"""Anchors over every case head: taken periodically, listed, and checked against today's chains.

A rewrite of a whole chain (every hash recomputed) passes chain verification; the anchor still
holds the old head hash at the anchored seq, so the check names the case. Each anchor stores only
the heads that changed since the previous one; the heads an anchor covers are, for every case, its
latest stored head up to that anchor. Publish anchor hashes outside the database to guard the anchors too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from audit.domain.anchor import Anchor, AnchorCheck, CaseHead, check_anchor, make_anchor, verify_anchors
from audit.orm import anchor_heads, anchors, entries, heads


def _anchor(row: Any) -> Anchor:
    return Anchor(row.anchor_id, row.at, row.cases, row.heads_hash, row.prev_anchor_hash, row.hash)


class AnchorRepository:
    """Stores anchors and reads back the heads they cover."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(self) -> Anchor | None:
        """The newest anchor."""
        row = (await self.session.execute(select(anchors).order_by(anchors.c.anchor_id.desc()).limit(1))).first()
        return None if row is None else _anchor(row)

    async def page(self, offset: int, limit: int) -> tuple[int, list[Anchor]]:
        """Anchors newest first."""
        total = (await self.session.execute(select(func.count()).select_from(anchors))).scalar_one()
        rows = await self.session.execute(
            select(anchors).order_by(anchors.c.anchor_id.desc()).offset(offset).limit(limit)
        )
        return total, [_anchor(r) for r in rows]

    async def all(self) -> list[Anchor]:
        """Every anchor, oldest first."""
        return [_anchor(r) for r in await self.session.execute(select(anchors).order_by(anchors.c.anchor_id))]

    async def take(self, now: datetime) -> Anchor | None:
        """Anchor the current heads of every case (None while the record is empty)."""
        rows = (
            await self.session.execute(
                select(heads.c.case_id, heads.c.last_seq, heads.c.head_hash, heads.c.anchored_seq)
            )
        ).all()
        if not rows:
            return None
        previous = await self.latest()
        anchor = make_anchor(
            1 if previous is None else previous.anchor_id + 1,
            now,
            [CaseHead(r.case_id, r.head_hash, r.last_seq) for r in rows],
            previous,
        )
        await self.session.execute(
            insert(anchors).values(
                anchor_id=anchor.anchor_id,
                at=anchor.at,
                cases=anchor.cases,
                heads_hash=anchor.heads_hash,
                prev_anchor_hash=anchor.prev_anchor_hash,
                hash=anchor.hash,
            )
        )
        changed = [r for r in rows if r.anchored_seq != r.last_seq]
        if changed:
            await self.session.execute(
                insert(anchor_heads),
                [
                    {
                        "anchor_id": anchor.anchor_id,
                        "case_id": r.case_id,
                        "last_seq": r.last_seq,
                        "head_hash": r.head_hash,
                    }
                    for r in changed
                ],
            )
            # The seq read above, not the head now: a later append shows as changed at the next anchor.
            await self.session.execute(
                update(heads).where(heads.c.case_id == bindparam("cid")).values(anchored_seq=bindparam("seq")),
                [{"cid": r.case_id, "seq": r.last_seq} for r in changed],
            )
        return anchor

    async def covered_heads(self, anchor_id: int) -> list[tuple[CaseHead, str | None]]:
        """Each case's head as of the anchor, with the hash its chain carries today at that seq (None if gone)."""
        newest = (
            select(anchor_heads.c.case_id, func.max(anchor_heads.c.anchor_id).label("anchor_id"))
            .where(anchor_heads.c.anchor_id <= anchor_id)
            .group_by(anchor_heads.c.case_id)
            .subquery()
        )
        ah = anchor_heads.c
        rows = await self.session.execute(
            select(ah.case_id, ah.last_seq, ah.head_hash, entries.c.hash.label("current")).select_from(
                anchor_heads.join(
                    newest, and_(ah.case_id == newest.c.case_id, ah.anchor_id == newest.c.anchor_id)
                ).outerjoin(entries, and_(entries.c.case_id == ah.case_id, entries.c.seq == ah.last_seq))
            )
        )
        return [(CaseHead(r.case_id, r.head_hash, r.last_seq), r.current) for r in rows]


async def verify_all(repo: AnchorRepository) -> dict[str, Any]:
    """The anchor chain's integrity and the latest anchor checked against today's chains."""
    chain = await repo.all()
    chain_ok, first_bad = verify_anchors(chain)
    result: dict[str, Any] = {
        "valid": chain_ok,
        "anchors": len(chain),
        "first_bad_anchor_id": first_bad,
        "latest": None,
        "changed_cases": [],
        "changed_count": 0,
    }
    if not chain:
        return result
    latest = chain[-1]
    covered = await repo.covered_heads(latest.anchor_id)
    check: AnchorCheck = check_anchor(latest, [h for h, _ in covered], {h.case_id: cur for h, cur in covered})
    result.update(
        valid=chain_ok and check.valid,
        latest=anchor_view(latest),
        changed_cases=list(check.changed[:100]),
        changed_count=len(check.changed),
    )
    return result


def anchor_view(anchor: Anchor) -> dict[str, Any]:
    """The API shape of an anchor."""
    return {
        "anchor_id": anchor.anchor_id,
        "at": anchor.at,
        "cases": anchor.cases,
        "heads_hash": anchor.heads_hash,
        "prev_anchor_hash": anchor.prev_anchor_hash,
        "hash": anchor.hash,
    }
