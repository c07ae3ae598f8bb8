"""Settings of the dispatch service (``CASEFLOW_*`` environment variables)."""

from __future__ import annotations

from caseflow_common.settings import CommonSettings


class Settings(CommonSettings):
    service_name: str = "dispatch"
    http_port: int = 8002
    database_url: str = "sqlite+aiosqlite:///./var/dispatch.db"
    max_returns: int = 2
