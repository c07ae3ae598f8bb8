"""Event ids are version 7 UUIDs: in the order they were made, and as unique as random ones."""

from __future__ import annotations

import uuid

from caseflow_common import ids
from caseflow_common.events import SYSTEM, new_event
from caseflow_common.testing import ManualClock

MS = 1_000_000


def test_an_id_is_a_version_7_uuid_that_starts_with_its_millisecond() -> None:
    at_ns = 1_780_000_000_123 * MS + 456
    value = ids.Uuid7Source()(at_ns)
    assert value.version == 7 and value.variant == uuid.RFC_4122
    assert value.int >> 80 == 1_780_000_000_123
    assert uuid.UUID(str(value)) == value


def test_ids_made_one_after_another_are_strictly_increasing_within_a_millisecond_and_across() -> None:
    made = [ids.uuid7() for _ in range(20_000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert [str(v) for v in made] == sorted(str(v) for v in made)  # also as the text the indexes hold


def test_a_clock_that_steps_back_or_a_full_millisecond_never_breaks_the_order() -> None:
    base = 1_790_000_000_000 * MS
    uuid7 = ids.Uuid7Source()
    first = uuid7(base + 5 * MS)
    earlier = uuid7(base)  # the clock stepped back: the last millisecond is kept
    assert earlier > first
    burst = [uuid7(base + 5 * MS) for _ in range(5_000)]  # more than one millisecond's 4,096 counts
    assert burst == sorted(burst) and burst[0] > earlier
    assert burst[-1].int >> 80 > base // MS + 5  # borrowed the next millisecond
    later = uuid7(base + 10 * MS)
    assert later > burst[-1] and later.int >> 80 == base // MS + 10


def test_new_events_carry_time_ordered_ids() -> None:
    from caseflow_common.contracts.intake import CaseReopened

    clock = ManualClock()
    envs = [
        new_event(
            CaseReopened(reason="test", cycle=2), case_id=f"C-{i}", producer="intake", actor=SYSTEM, occurred_at=clock()
        )
        for i in range(50)
    ]
    assert all(env.event_id.version == 7 for env in envs)
    assert [env.event_id for env in envs] == sorted(env.event_id for env in envs)
