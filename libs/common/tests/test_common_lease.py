"""The lease that keeps periodic jobs (relay, anchors) on one replica at a time."""

from __future__ import annotations

from datetime import timedelta

from caseflow_common import db
from caseflow_common.lease import Lease
from caseflow_common.messaging.tables import messaging_tables
from caseflow_common.testing import ManualClock


async def test_one_replica_holds_the_lease_until_it_expires_then_another_takes_it(databases):
    md = db.new_metadata()
    _, _, leases = messaging_tables(md)
    engine = db.make_engine(await databases.new_url("lease"))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(md.create_all)
        sessions, clock = db.session_factory(engine), ManualClock()
        a = Lease(sessions, leases, "job", timedelta(seconds=10), clock, holder="a")
        b = Lease(sessions, leases, "job", timedelta(seconds=10), clock, holder="b")
        assert await a.acquire() is True
        assert await b.acquire() is False
        clock.advance(seconds=5)
        assert await a.acquire() is True  # renewing extends it
        clock.advance(seconds=9)
        assert await b.acquire() is False
        clock.advance(seconds=2)  # a stopped renewing: expired
        assert await b.acquire() is True
        assert await a.acquire() is False
        await b.release()
        assert await a.acquire() is True
    finally:
        await engine.dispose()
