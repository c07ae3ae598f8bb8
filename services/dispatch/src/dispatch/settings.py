"""Settings of the dispatch service (``CASEFLOW_*`` environment variables)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

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
    city_timezone: str = Field(default="Asia/Shanghai", description="the zone of the city's day (work summary)")
    # The live stream of a unit's case changes (GET /v1/work/stream).
    stream_max_per_unit: int = Field(default=5, ge=1, description="open streams one unit may hold per replica (429)")
    stream_heartbeat_s: float = Field(default=15.0, gt=0, description="a comment line this often while idle")
    stream_poll_s: float = Field(
        default=2.0, gt=0, description="how often a stream looks for changes other replicas committed"
    )
    stream_max_s: float = Field(default=3600.0, gt=0, description="a stream ends after this long (the client resumes)")
    stream_batch: int = Field(default=100, ge=1, le=1000, description="changes read per query")
    # The reference department console (/console/): where its browsers reach the two APIs it calls.
    console_dispatch_url: str = Field(
        default="", description="dispatch's API as the console's browsers reach it; empty: the page's own origin"
    )
    console_escalation_url: str = Field(
        default="http://127.0.0.1:8003",
        description="escalation's API as the console's browsers reach it (clocks, supervision); its origin is the only"
        " one beside the page's own that the page may connect to (CSP connect-src), and escalation's"
        " cors_allow_origins must name the console's origin outside dev",
    )
    console_poll_interval_s: float = Field(
        default=5.0, gt=0, le=3600, description="the console polls this often while the change stream is unavailable"
    )

    @field_validator("console_dispatch_url", "console_escalation_url")
    @classmethod
    def _http_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if value and (parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment):
            raise ValueError("must be an http(s) base URL (scheme, host, optional port and path)")
        return value
