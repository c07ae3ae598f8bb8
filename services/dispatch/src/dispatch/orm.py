"""dispatch's own tables: the department-side view of each case, routing versions, assignments, the action log."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Index, Integer, String, Table, Text

from caseflow_common.db import new_metadata
from caseflow_common.messaging.tables import BigId, messaging_tables

metadata = new_metadata()
outbox, processed_events, leases = messaging_tables(metadata)

work_cases = Table(
    "work_cases",
    metadata,
    Column("case_id", String(40), primary_key=True),
    # handling state (dispatch.domain.WorkCase)
    Column("status", String(20), nullable=False),
    Column("unit", String(40), nullable=True),
    Column("role", String(20), nullable=False),
    Column("returns", Integer, nullable=False),
    Column("transfers", Integer, nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("replied", Boolean, nullable=False),
    Column("resolved", Boolean, nullable=True),
    Column("coordination_unit", String(40), nullable=True),
    Column("needs_coordination", Boolean, nullable=False),
    Column("suspended_from", String(20), nullable=True),
    Column("merged_into", String(40), nullable=True),
    Column("returned_by", JSON, nullable=True),  # units that returned the case in this cycle (0002)
    Column("handed_over_by", String(40), nullable=True),  # the unit the case came from, and its reason (0002)
    Column("handover_reason", Text, nullable=True),
    Column("police_case_id", String(40), nullable=True),  # the linked case public security got (0002)
    Column("linked_case_id", String(40), nullable=True),  # on a police case: the case it came from (0002)
    # what the department sees (requester already masked; null when anonymous)
    Column("category", String(80), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("region_code", String(40), nullable=False),
    Column("region_codes", JSON, nullable=True),  # every region the report names (0002)
    Column("district_code", String(40), nullable=True),
    Column("description", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("requester_name", String(80), nullable=True),
    Column("requester_phone", String(40), nullable=True),
    # the routing decision: which rule of which table version decided it, and why
    Column("rule_id", String(120), nullable=True),
    Column("routing_version", Integer, nullable=True),
    Column("routing_reason", String(30), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("dispatched_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("row_version", Integer, nullable=False),  # optimistic lock against concurrent actions
    # the case's place in the change sequence (its latest change; the live stream's event id, 0003)
    Column("change_seq", BigInteger, nullable=True),
)
Index("ix_work_cases_unit_status", work_cases.c.unit, work_cases.c.status)
Index("ix_work_cases_status", work_cases.c.status)
Index("ix_work_cases_change_seq", work_cases.c.change_seq)

routing_versions = Table(
    "routing_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("rules", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(120), nullable=False),
)

# The directory as a log of changes (GZ Art. 5; SZ Art. 8): version 1 the seed (the files), each later version one
# change in force from effective_from; applied_at is set once its effects (a retired unit's open cases re-routed) ran.
directory_versions = Table(
    "directory_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("op", String(20), nullable=False),
    Column("code", String(40), nullable=False),
    Column("data", JSON, nullable=False),
    Column("effective_from", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=True),
)
Index("ix_directory_versions_applied_at", directory_versions.c.applied_at)

assignments = Table(
    "assignments",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("unit", String(40), primary_key=True),
    Column("cycle", Integer, primary_key=True),
    Column("role", String(20), nullable=False),  # lead / assisting / coordination
    Column("active", Boolean, nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
)
Index("ix_assignments_unit_active", assignments.c.unit, assignments.c.active)

case_actions = Table(
    "case_actions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(40), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("action", String(40), nullable=False),
    Column("unit", String(40), nullable=True),
    Column("actor_role", String(20), nullable=False),
    Column("actor_id", String(120), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", JSON, nullable=False),
)
Index("ix_case_actions_case_id", case_actions.c.case_id)

merged_cases = Table(
    "merged_cases",
    metadata,
    Column("into_case_id", String(40), primary_key=True),
    Column("case_id", String(40), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

supervision_actions = Table(
    "supervision_actions",
    metadata,
    Column("action_id", String(60), primary_key=True),
    Column("case_id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),  # supervision / sla_warning
    Column("rung", String(20), nullable=False),
    Column("unit", String(40), nullable=True),
    Column("status", String(20), nullable=False),  # open / resolved
    Column("clock_kind", String(40), nullable=True),
    Column("deadline", DateTime(timezone=True), nullable=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
)

# The case's current clocks as escalation last published them (ClocksUpdated), one row per clock (0003). Kept apart
# from work_cases: a case's clocks may arrive before dispatch has routed the case.
case_clocks = Table(
    "case_clocks",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("position", Integer, primary_key=True),  # the clock's place in the published list
    Column("kind", String(40), nullable=False),
    Column("unit", String(40), nullable=True),
    Column("role", String(20), nullable=True),  # holder / assisting
    Column("cycle", Integer, nullable=False),
    Column("state", String(20), nullable=False),  # running / paused / met / breached, as published
    Column("deadline", DateTime(timezone=True), nullable=True),
    Column("met_at", DateTime(timezone=True), nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=False),  # the event's time: older lists never win
)
Index("ix_case_clocks_deadline", case_clocks.c.deadline)

# Units a case left (transferred, returned, passed up, named anew), at the change that took it from them (0003): the
# live stream tells such a unit the case is gone from its queue.
case_departures = Table(
    "case_departures",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("unit", String(40), primary_key=True),
    Column("change_seq", BigInteger, nullable=False),
)
Index("ix_case_departures_unit_change_seq", case_departures.c.unit, case_departures.c.change_seq)
