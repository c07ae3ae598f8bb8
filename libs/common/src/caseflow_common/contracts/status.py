"""The case status vocabulary every service and API shares (API.md, Common)."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    """A case's status, as dashboards, hotline systems and the services' views name it."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    COORDINATING = "coordinating"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"
    REPLIED = "replied"
    CLOSED = "closed"
    REOPENED = "reopened"
    MERGED = "merged"
