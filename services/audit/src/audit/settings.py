"""Settings of the audit service (``CASEFLOW_*`` environment variables)."""

from __future__ import annotations

from caseflow_common.settings import CommonSettings


class Settings(CommonSettings):
    service_name: str = "audit"
    http_port: int = 8004
    database_url: str = "sqlite+aiosqlite:///./var/audit.db"
