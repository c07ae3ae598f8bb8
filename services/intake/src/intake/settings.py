"""Settings of the intake service (``CASEFLOW_*`` environment variables)."""

from __future__ import annotations

from caseflow_common.settings import CommonSettings


class Settings(CommonSettings):
    service_name: str = "intake"
    http_port: int = 8001
    database_url: str = "sqlite+aiosqlite:///./var/intake.db"
    case_number_prefix: str = "GZ"
