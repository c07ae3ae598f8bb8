"""escalation's own tables."""

from __future__ import annotations

from caseflow_common.db import new_metadata
from caseflow_common.messaging.tables import messaging_tables

metadata = new_metadata()
outbox, processed_events, leases = messaging_tables(metadata)
