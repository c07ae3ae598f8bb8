"""Event ids in time order: UUID version 7 (RFC 9562 §5.7).

Every service keeps indexes keyed by event id: its outbox's, the ids it has applied (``processed_events``), audit's
entries, escalation's facts. Random ids (version 4) land each insert on a random page of those indexes, so as they
grow every commit writes as many scattered pages as it inserted rows and reads most of them back first: the cost
of an event grows with the history behind it. Ids that start with the moment they were made land where the last
ones did, at the right edge of each index, whatever its size.

Layout: 48 bits of Unix milliseconds, the version (7), 12 bits counting ids made in the same millisecond (RFC 9562
§6.2 method 1, seeded at random each new millisecond, so ids of one process keep their order), the variant and 62
random bits. An id says when it was made, to the millisecond, and nothing else; like a version 4 id it is unique
without coordination (74 random bits a millisecond). Nothing reads the time back from an id: ``occurred_at`` is the
event's time.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_VERSION = 0x7 << 76
_VARIANT = 0b10 << 62
_COUNTER_MAX = 0xFFF
_MS_MASK = (1 << 48) - 1
_RAND_MASK = (1 << 62) - 1


class Uuid7Source:
    """Makes version 7 UUIDs; the ids one source makes are strictly increasing, also within a millisecond and when
    the clock steps back (its last millisecond is kept until the clock passes it). ``uuid7`` is the process's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def __call__(self, now_ns: int | None = None) -> uuid.UUID:
        ms = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
        rand = int.from_bytes(os.urandom(10), "big")
        with self._lock:
            if ms > self._last_ms:
                self._last_ms, self._counter = ms, (rand >> 62) & 0x7FF  # a random start leaves room to count up
            elif self._counter < _COUNTER_MAX:
                self._counter += 1
            else:  # 4,096 ids in one millisecond: borrow the next one
                self._last_ms, self._counter = self._last_ms + 1, 0
            ms, counter = self._last_ms, self._counter
        return uuid.UUID(int=(ms & _MS_MASK) << 80 | _VERSION | counter << 64 | _VARIANT | (rand & _RAND_MASK))


uuid7 = Uuid7Source()
