"""The policies, ladder and calendar in force: the latest admin versions, reloaded when another replica saves one."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from escalation.calendar_doc import CalendarDocument
from escalation.domain.calendar import WorkCalendar
from escalation.domain.ladder import LadderPolicy
from escalation.domain.policy import PolicySet
from escalation.policy_doc import BASE_POLICY_VERSION, PolicyDocument, default_document
from escalation.repository import CALENDAR_VERSIONS, POLICY_VERSIONS, Repository

log = logging.getLogger(__name__)

BASE_CALENDAR_VERSION = 0


@dataclass(frozen=True)
class Config:
    """One consistent view of the rules: which policy set and calendar apply, with their versions."""

    policy_version: int
    policy_doc: PolicyDocument
    policies: PolicySet
    ladder: LadderPolicy
    calendar_version: int
    calendar_doc: CalendarDocument
    calendar: WorkCalendar


class ConfigStore:
    """Holds the current Config; `refresh` checks the database for newer versions (two indexed max() queries)."""

    def __init__(self, base_calendar: CalendarDocument | None = None) -> None:
        self.base_calendar = base_calendar or CalendarDocument()
        doc = default_document()
        policies, ladder = doc.to_domain(BASE_POLICY_VERSION)
        self.current = Config(
            BASE_POLICY_VERSION,
            doc,
            policies,
            ladder,
            BASE_CALENDAR_VERSION,
            self.base_calendar,
            self.base_calendar.to_domain(BASE_CALENDAR_VERSION),
        )

    async def refresh(self, repo: Repository) -> Config:
        """The current rules, reloading whichever document has a newer version in the database."""
        cur = self.current
        pv = await repo.latest_version(POLICY_VERSIONS) or BASE_POLICY_VERSION
        cv = await repo.latest_version(CALENDAR_VERSIONS) or BASE_CALENDAR_VERSION
        if pv != cur.policy_version:
            raw = await repo.document(POLICY_VERSIONS, pv)
            policy_doc = PolicyDocument.model_validate(raw) if raw is not None else default_document()
            policies, ladder = policy_doc.to_domain(pv)
            cur = Config(pv, policy_doc, policies, ladder, cur.calendar_version, cur.calendar_doc, cur.calendar)
            log.info("policy version loaded", extra={"policy_version": pv})
        if cv != cur.calendar_version:
            raw = await repo.document(CALENDAR_VERSIONS, cv)
            calendar_doc = CalendarDocument.model_validate(raw) if raw is not None else self.base_calendar
            cur = Config(
                cur.policy_version,
                cur.policy_doc,
                cur.policies,
                cur.ladder,
                cv,
                calendar_doc,
                calendar_doc.to_domain(cv),
            )
            log.info("calendar version loaded", extra={"calendar_version": cv})
        self.current = cur
        return cur
