"""intake's own tables: cases, requester identities (apart from the case body), counters, the status projection."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from caseflow_common.db import new_metadata
from caseflow_common.directory_copy import directory_changes_table
from caseflow_common.messaging.tables import messaging_tables

metadata = new_metadata()
outbox, processed_events, leases = messaging_tables(metadata)
# The directory versions dispatch published (GZ Art. 5; SZ Art. 8): which regions a report may name (0006).
directory_changes = directory_changes_table(metadata)

cases = Table(
    "cases",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("category", String(80), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("description", Text, nullable=False),
    # The description as given, encrypted; `description` holds it with personal data redacted (GZ Art. 15).
    Column("description_sealed", Text, nullable=True),
    Column("region_code", String(40), nullable=False),
    Column("grid_code", String(40), nullable=True),
    Column("address", String(200), nullable=False, default=""),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("reporter_id", String(64), nullable=True),
    Column("withheld", Boolean, nullable=False, default=False),
    # A whistleblower's (举报人) case: no role sees its requester unless the settings name it (GZ Art. 20) (0004).
    Column("whistleblower", Boolean, nullable=False, default=False, server_default=false()),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("merged_into", String(40), nullable=True),
    # The principal that submitted the report: the grid system reads back the cases it submitted (GZ Art. 16).
    Column("submitted_by", String(120), nullable=True),
    # Open311's optional fields of the matter: a link to a photo (published), the service definition's answers.
    Column("media_url", String(2000), nullable=True),
    Column("attributes", Text, nullable=True),
    UniqueConstraint("channel", "external_id", name="uq_cases_channel_external_id"),
    # The repeat lookup's two shapes of place (0007): a grid's earliest cases in index order; a box around a point.
    Index("ix_cases_category_grid_received", "category", "grid_code", "received_at"),
    Index("ix_cases_category_lat_lon", "category", "lat", "lon"),
    Index("ix_cases_category_received", "category", "received_at"),
    Index("ix_cases_merged_into", "merged_into"),
    Index("ix_cases_channel_submitted_by", "channel", "submitted_by"),
)

# Personal data lives here only: name and phone encrypted, plus a keyed hash to find a caller's cases (GZ Art. 15).
requesters = Table(
    "requesters",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("name_encrypted", String(600), nullable=True),
    Column("phone_encrypted", String(400), nullable=True),
    Column("phone_hash", String(64), nullable=True),
    Column("anonymous", Boolean, nullable=False, default=False),
    # Open311's contacts of the requester, encrypted like the name.
    Column("email_encrypted", Text, nullable=True),
    Column("device_id_encrypted", Text, nullable=True),
    Column("account_id_encrypted", Text, nullable=True),
    Index("ix_requesters_phone_hash", "phone_hash"),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)

# The read model for hotline systems, fed by dispatch and escalation events; no personal data.
case_status = Table(
    "case_status",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("unit", String(60), nullable=True),
    Column("unit_name", String(200), nullable=True),
    Column("cycle", Integer, nullable=False, default=1),
    Column("clocks", Text, nullable=False, default="[]"),
    Column("clocks_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The department's latest reply (答复), which merged requests take over and the grid reads back.
    Column("reply", Text, nullable=True),
    Column("reply_resolved", Boolean, nullable=True),
    Column("replied_at", DateTime(timezone=True), nullable=True),
    Index("ix_case_status_status", "status"),
)

case_steps = Table(
    "case_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("unit", String(60), nullable=True),
    Column("note", Text, nullable=True),
    Column("cycle", Integer, nullable=False, default=1),
    Index("ix_case_steps_case_id", "case_id"),
)

visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(40), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("attempt", Integer, nullable=False, default=1),
    Column("contacted", Boolean, nullable=False),
    Column("satisfaction", String(30), nullable=True),
    Column("comment", Text, nullable=False, default=""),  # personal data redacted (0004)
    Column("comment_sealed", Text, nullable=True),  # the comment as given, encrypted, when redaction changed it
    Column("visited_at", DateTime(timezone=True), nullable=False),
    # Every attempt of a cycle is kept; at most one of them reached the requester (and holds the evaluation).
    UniqueConstraint("case_id", "cycle", "attempt", name="uq_visits_case_id_cycle_attempt"),
    Index(
        "uq_visits_reached",
        "case_id",
        "cycle",
        unique=True,
        sqlite_where=text("contacted"),
        postgresql_where=text("contacted"),
    ),
)
