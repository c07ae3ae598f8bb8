"""Settings of the intake service (``CASEFLOW_*`` environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from caseflow_common.settings import DEV_SECRET_MARK, CommonSettings


class Settings(CommonSettings):
    """intake's settings; its secrets have no defaults, in dev neither (the embedded default makes them per checkout
    under var/keys/ and passes them in, as it does the token secret)."""

    service_name: str = "intake"
    http_port: int = 8001
    database_url: str = "sqlite+aiosqlite:///./var/intake.db"
    case_number_prefix: str = Field(default="GZ", pattern=r"^[A-Z]{1,8}$", description="GZ-20261121-000123")
    phone_encryption_keys: list[str] = Field(
        default_factory=list, description="Fernet keys for phones at rest, newest first (older ones only decrypt)"
    )
    phone_hash_key: str = Field(default="", description="HMAC key for matching phones without decrypting them")
    open311_api_keys: dict[str, str] = Field(
        default_factory=dict, description="Open311 api_key -> principal subject allowed to POST requests"
    )
    open311_base_url: str = Field(
        default="",
        max_length=500,
        description="the public URL of the GeoReport v2 endpoint that discovery.{json,xml} names (behind a proxy); "
        "empty: the URL the request reached intake at, /open311/v2",
    )
    open311_contact: str = Field(default="", max_length=500, description="discovery's contact: who answers questions")
    open311_key_service: str = Field(
        default="", max_length=500, description="discovery's key_service: where a client asks for an api_key"
    )
    open311_public_listing: bool = Field(
        default=True,
        description="serve the public Open311 listing (GET requests.json, requests/{id}.json) without login; "
        "false answers 404 there (POST and services stay)",
    )
    open311_public_region_level: Literal["street", "community"] = Field(
        default="street", description="the finest region level a public request's address and address_id show"
    )
    open311_public_coordinate_decimals: int = Field(
        default=3, ge=0, le=4, description="decimals public lat/long keep (3 is about 100 m)"
    )
    rate_limit_per_minute: float = Field(
        default=30_000,
        ge=0,
        description="authenticated writes (hotline/grid reports, visits) per minute per principal and route, "
        "in each process; 0 turns the limit off",
    )
    rate_limit_burst: int = Field(
        default=3_000, ge=0, description="writes a principal may send at once on top of the steady rate"
    )
    open311_rate_limit_per_minute: float = Field(
        default=600, ge=0, description="Open311 POSTs per minute per api_key (or client address), in each process"
    )
    open311_rate_limit_burst: int = Field(default=60, ge=0, description="Open311 POSTs a client may send at once")
    rate_limit_max_clients: int = Field(
        default=10_000, ge=1, description="clients whose buckets each process remembers (least recent forgotten)"
    )
    directory_refresh_s: float = Field(
        default=2.0, gt=0, description="how often a replica reads the directory changes another one received"
    )
    repeat_distance_m: float = Field(default=100.0, ge=0, description="两次诉求 this close count as the same place")
    identity_withheld_view_roles: list[str] = Field(
        default_factory=lambda: ["hotline"],
        description="roles that see an anonymous requester (the hotline took the call); whistleblowers: below",
    )
    whistleblower_view_roles: list[str] = Field(
        default_factory=list,
        description="roles that see a whistleblower's (举报人) identity and the report's text as given: none by "
        'default, the hotline neither (GZ Art. 20); e.g. ["hotline"] where the centre\'s rules allow it',
    )
    open311_expected_clock: str = Field(default="handling", description="clock kind behind expected_datetime")
    report_max_age_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="a report's received_at / observed_at (and a visit's visited_at) older than this many days is "
        "refused with 422: a backdated report never arrives looking weeks overdue",
    )
    report_future_skew_s: int = Field(
        default=300,
        ge=0,
        le=86_400,
        description="how far (seconds) a report or visit time may lie ahead of intake's clock (the sender's clock "
        "skew); anything later is refused with 422",
    )

    @model_validator(mode="after")
    def _keys_given(self) -> Settings:
        # ARCHITECTURE.md rule 9 for intake's own secrets (GZ Art. 15: personal information kept safe): no built-in
        # key in any environment; outside dev, no key the embedded default made (marked dev-only-) either.
        made_by = "the embedded default writes them to var/keys/intake.json"
        if not self.phone_encryption_keys:
            raise ValueError(f"CASEFLOW_PHONE_ENCRYPTION_KEYS is not set (JSON list, newest first; {made_by})")
        if len(self.phone_hash_key) < 32:
            raise ValueError(f"CASEFLOW_PHONE_HASH_KEY must be a strong key (>= 32 chars; {made_by})")
        if self.env == "dev":
            return self
        if self.phone_hash_key.startswith(DEV_SECRET_MARK):
            raise ValueError("CASEFLOW_PHONE_HASH_KEY may not be a dev key outside dev")
        if any(key.startswith(DEV_SECRET_MARK) or len(key) < 16 for key in self.open311_api_keys):
            raise ValueError("CASEFLOW_OPEN311_API_KEYS may not hold dev or short keys outside dev")
        return self
