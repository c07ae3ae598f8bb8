"""Which of a case's clocks a unit may read (SZ Art. 18: a unit sees only its own cases; user permissions set
strictly).

- the unit holding the case reads its own clocks and those of the units assisting it (协办 are visible to the
  lead, GZ Art. 10);
- an assisting unit reads its own clocks only;
- a coordination institution that coordinated the case reads them all;
- a unit that handed the case on (移送, re-dispatch) no longer reads it: its past steps stay in the record;
- any other unit: the case does not exist for it.
"""

from __future__ import annotations

from collections.abc import Iterable

from escalation.domain.clock import Clock, ClockRole
from escalation.domain.replay import Parties


def visible_clocks(clocks: Iterable[Clock], parties: Parties, unit: str | None) -> list[Clock] | None:
    """The clocks `unit` may read, or None when the case is not the unit's to see."""
    clocks = list(clocks)
    if unit is None:
        return None
    if unit in parties.coordinators:
        return clocks
    if unit == parties.holder:
        return [c for c in clocks if c.unit == unit or c.role is ClockRole.ASSISTING]
    if unit in parties.assisting:
        return [c for c in clocks if c.unit == unit]
    return None
