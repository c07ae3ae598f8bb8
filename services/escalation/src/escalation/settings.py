"""Settings of the escalation service (``CASEFLOW_*`` environment variables)."""

from __future__ import annotations

from caseflow_common.settings import CommonSettings


class Settings(CommonSettings):
    service_name: str = "escalation"
    http_port: int = 8003
    database_url: str = "sqlite+aiosqlite:///./var/escalation.db"
