"""Settings of the audit service (``CASEFLOW_*`` environment variables)."""

from __future__ import annotations

from pydantic import Field

from audit.domain.privacy import DEFAULT_PERSONAL_FIELDS
from caseflow_common.settings import CommonSettings, TrustedKeySetting


class Settings(CommonSettings):
    service_name: str = "audit"
    http_port: int = 8004
    database_url: str = "sqlite+aiosqlite:///./var/audit.db"
    personal_fields: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PERSONAL_FIELDS),
        description="payload keys stripped before an event is recorded (audit keeps no requester data)",
    )
    causal_hold_s: float = Field(
        default=30.0, description="how long an event waits for its cause before it is recorded anyway (flagged)"
    )
    causal_check_interval_s: float = Field(default=5.0, description="how often held events are checked")
    anchor_interval_s: float = Field(default=300.0, description="seconds between anchors over all case heads")
    gauge_interval_s: float = Field(default=15.0, description="how often the open-loops and anchor-age gauges refresh")
    visit_grace_hours: float = Field(
        default=72.0, description="after 办结, how long a missing return visit (回访) may wait before it is overdue"
    )
    sign_clock_kind: str = Field(default="sign_for", description="clock kind whose deadline is the sign-for deadline")
    close_clock_kind: str = Field(default="handling", description="clock kind whose deadline is the closure deadline")
    retired_keys: dict[str, TrustedKeySetting] = Field(
        default_factory=dict,
        description="public keys no longer trusted for new events (rotated out or leaked) that verification still "
        'checks stored entries against, by key id: {"intake-2026-01": {"producer": "intake", "public_key": "..."}}',
    )
