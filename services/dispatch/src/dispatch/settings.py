"""Settings of the dispatch service (``CASEFLOW_*`` environment variables)."""

from __future__ import annotations

from pydantic import Field

from caseflow_common.settings import CommonSettings


class Settings(CommonSettings):
    """dispatch's typed settings."""

    service_name: str = "dispatch"
    http_port: int = 8002
    database_url: str = "sqlite+aiosqlite:///./var/dispatch.db"
    # Returns in one cycle after which the case goes to coordination instead of bouncing (DOMAIN: Routing).
    max_returns: int = Field(default=2, ge=1)
    # The unit kind that takes suspected crime on transfer (SZ Art. 25; GZ Art. 20, 25).
    crime_unit_kind: str = "public_security"
    routing_refresh_s: float = Field(
        default=1.0, ge=0, description="how often a replica looks for a routing version another one stored"
    )
    directory_interval_s: float = Field(
        default=2.0,
        gt=0,
        description="how often a replica reads directory versions another one stored and runs the effects of "
        "changes whose effective date came (a retired unit's open cases re-routed)",
    )
    state_gauge_interval_s: float = Field(default=15.0, gt=0, description="refresh of caseflow_cases_by_state")
