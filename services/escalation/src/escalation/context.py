"""What escalation's handlers, loops and routes share: versioned policies and calendars, the handlers, gauges."""

from __future__ import annotations

from dataclasses import dataclass, field

from escalation.config import ConfigStore
from escalation.handlers import EscalationHandlers


@dataclass
class EscalationContext:
    config: ConfigStore
    handlers: EscalationHandlers
    gauges: dict[str, int] = field(default_factory=dict)  # open clocks, provisional deadlines (scheduler sets them)
