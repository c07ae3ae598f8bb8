"""What audit was built with: the city's record rules and the producers' public keys (no I/O objects)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from audit.domain.decided import DEFAULT_DECIDERS
from audit.domain.loop import DEFAULT_LOOP_POLICY, LoopPolicy
from audit.domain.privacy import DEFAULT_PERSONAL_FIELDS
from audit.settings import Settings
from caseflow_common.signing import Keyring


@dataclass(frozen=True, slots=True)
class ClockKinds:
    """Which clock kinds give the sign-for and the closure deadlines."""

    sign_for: str = "sign_for"
    close: str = "handling"


@dataclass(frozen=True)
class RecordRules:
    """The city's choices the record applies: what is stripped, who decided, the loop, the deadline clocks."""

    personal_fields: Collection[str] = DEFAULT_PERSONAL_FIELDS
    deciders: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_DECIDERS)
    loop_policy: LoopPolicy = DEFAULT_LOOP_POLICY
    clock_kinds: ClockKinds = field(default_factory=ClockKinds)


@dataclass(frozen=True)
class AuditContext:
    """audit's context: the record rules every handler, route and loop reads, and the keys stored entries' proofs
    of origin are verified against (the trusted and the retired ones)."""

    rules: RecordRules = field(default_factory=RecordRules)
    origin_keys: Keyring = field(default_factory=lambda: Keyring({}))

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditContext:
        """The context with the city's rules and the producers' keys from settings."""
        return cls(
            RecordRules(
                personal_fields=frozenset(settings.personal_fields),
                loop_policy=loop_policy(settings.visit_grace_hours),
                clock_kinds=ClockKinds(sign_for=settings.sign_clock_kind, close=settings.close_clock_kind),
            ),
            origin_keys=verification_keys(settings),
        )


def verification_keys(settings: Settings) -> Keyring:
    """The keys stored entries are verified against: every trusted key and every retired one (a retired key verifies
    old entries but admits no new event)."""
    live = settings.trusted_key_entries()
    retired = {k: (v.producer, v.public_key) for k, v in settings.retired_keys.items()}
    return Keyring.from_public({**retired, **live})


def loop_policy(visit_grace_hours: float) -> LoopPolicy:
    """The default loop rules with the configured return-visit grace."""
    return LoopPolicy(visit_grace=timedelta(hours=visit_grace_hours))
