"""audit's own tables: the append-only record, case heads, held events, facts for assessment, loops, anchors."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from caseflow_common.contracts.escalation import Rung
from caseflow_common.db import new_metadata
from caseflow_common.messaging.tables import BigId, messaging_tables

# Every rung of the contract: the five issued ones and `other` (a rung a newer escalation added, read tolerantly).
RUNGS: tuple[Rung, ...] = tuple(Rung)


# case_facts counters of the evaluations and of the visits that did not reach the requester.
EVALUATION_COUNTS: tuple[str, ...] = ("evaluations", "evaluations_satisfied", "unreached_visits")


def action_column(rung: Rung) -> str:
    """The case_facts column counting a rung's supervision actions."""
    return f"actions_{rung.value}"


metadata = new_metadata()
outbox, processed_events, leases = messaging_tables(metadata)

# Append-only: no code path updates or deletes a row; on PostgreSQL a trigger refuses both (0001_initial).
# Every column up to `hash` enters the entry hash (domain/chain.py), and key_id / signature do when the entry has
# them; the signature binds the rest of the origin columns (0003: producer ... signed_digest) to the event.
entries = Table(
    "record_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("step", String(20), nullable=True),
    Column("actor", Text, nullable=False),  # canonical JSON {id, role, unit}
    Column("at", String(40), nullable=False),  # canonical UTC text, exactly as hashed
    Column("decided_by", String(200), nullable=True),
    Column("payload", Text, nullable=False),  # canonical JSON, requester fields stripped
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("cause_missing", Boolean, nullable=False, default=False),  # recorded before its cause arrived
    # The proof of origin (0003): the producer's signature over the event's identity and its raw payload's digest.
    Column("producer", String(40), nullable=True),
    Column("version", Integer, nullable=True),
    Column("correlation_id", Text, nullable=True),
    Column("causation_id", Text, nullable=True),
    Column("key_id", String(100), nullable=True),
    Column("signature", Text, nullable=True),
    Column("signed_digest", String(64), nullable=True),  # sha256 of the payload as it arrived (before stripping)
    UniqueConstraint("case_id", "seq", name="uq_record_entries_case_seq"),
)

# One row per case: the chain head (serialises appends to a case) and what the latest anchor holds of it.
heads = Table(
    "record_heads",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("last_seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("anchored_seq", Integer, nullable=True),
)

# Events whose cause (causation_id) is not recorded yet; they join the record when it is, or after a timeout.
held = Table(
    "held_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("case_id", String(40), nullable=False),
    Column("causation_id", String(36), nullable=False, index=True),
    Column("envelope", Text, nullable=False),  # requester fields already stripped
    Column("held_at", DateTime(timezone=True), nullable=False, index=True),
    Column("signed_digest", String(64), nullable=True),  # of the raw payload, what the signature covers (0003)
)

# One row per case: what the monthly analysis and the loop of merged cases need.
cases = Table(
    "case_index",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("category", String(100), nullable=True),
    Column("region_code", String(40), nullable=True),
    Column("district", String(40), nullable=True),
    Column("channel", String(20), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=True, index=True),
    Column("merged_into", String(40), nullable=True, index=True),
    Column("sign_deadline", DateTime(timezone=True), nullable=True),
    Column("close_deadline", DateTime(timezone=True), nullable=True),
)

# One row per (case, unit): the facts the assessment reads (domain/kpi.py UnitCaseFacts).
facts = Table(
    "case_facts",
    metadata,
    Column("case_id", String(40), nullable=False),
    Column("unit", String(40), nullable=False),
    Column("district", String(40), nullable=True),
    Column("category", String(100), nullable=True),
    Column("region_code", String(40), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=True),
    Column("dispatched_at", DateTime(timezone=True), nullable=True),
    Column("signed_at", DateTime(timezone=True), nullable=True),
    Column("sign_deadline", DateTime(timezone=True), nullable=True),
    Column("replied_at", DateTime(timezone=True), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("close_deadline", DateTime(timezone=True), nullable=True),
    Column("resolved", Boolean, nullable=True),
    Column("satisfaction", String(30), nullable=True),
    Column("returns", Integer, nullable=False, default=0),
    Column("transfers", Integer, nullable=False, default=0),
    # Supervision actions by rung (the escalation contract's rungs), counted once per action via supervision_actions;
    # actions_other came with 0002, which filled the rows already there with 0.
    *(
        Column(
            action_column(rung),
            Integer,
            nullable=False,
            default=0,
            server_default=text("0") if rung is Rung.OTHER else None,
        )
        for rung in RUNGS
    ),
    # Every evaluation of the unit's handling, one per cycle (case_evaluations), and the visits that could not reach
    # the requester (联系不上), each attempt counted (0003).
    *(Column(name, Integer, nullable=False, default=0, server_default=text("0")) for name in EVALUATION_COUNTS),
    PrimaryKeyConstraint("case_id", "unit", name="pk_case_facts"),
)
Index("ix_case_facts_received_at", facts.c.received_at)

# Every evaluation kept: one per case, unit and cycle (GZ Art. 17: a dissatisfied one reopens the case, the next cycle
# is evaluated again, and both count); a repeated evaluation of the same cycle replaces that cycle's.
evaluations = Table(
    "case_evaluations",
    metadata,
    Column("case_id", String(40), nullable=False),
    Column("unit", String(40), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("satisfaction", String(30), nullable=False),
    Column("evaluated_at", DateTime(timezone=True), nullable=False),
    Column("event_id", String(36), nullable=False),
    PrimaryKeyConstraint("case_id", "unit", "cycle", name="pk_case_evaluations"),
)

# Supervision actions by rung, one row per case the action names (GZ Art. 48; SZ Art. 56).
actions = Table(
    "supervision_actions",
    metadata,
    Column("action_id", String(100), nullable=False),
    Column("case_id", String(40), nullable=False),
    Column("unit", String(40), nullable=True),
    Column("rung", String(20), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("action_id", "case_id", name="pk_supervision_actions"),
)
Index("ix_supervision_actions_case_unit", actions.c.case_id, actions.c.unit)

# The loop status of each case, refreshed whenever its record grows.
loops = Table(
    "case_loops",
    metadata,
    Column("case_id", String(40), primary_key=True),
    Column("complete", Boolean, nullable=False),
    Column("missing", String(200), nullable=False),  # steps joined by ",", in loop order
    Column("cycle", Integer, nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The loop folded over the record up to entry fold_seq (LoopFold as JSON with its policy's digest; 0004).
    Column("fold", Text, nullable=True),
    Column("fold_seq", Integer, nullable=True),
)
Index("ix_case_loops_open", loops.c.complete, loops.c.case_id)

# Anchors: chained digests over all case heads; anchor_heads keeps each case's head when it changed.
anchors = Table(
    "anchors",
    metadata,
    Column("anchor_id", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("cases", Integer, nullable=False),
    Column("heads_hash", String(64), nullable=False),
    Column("prev_anchor_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
anchor_heads = Table(
    "anchor_heads",
    metadata,
    Column("anchor_id", Integer, nullable=False),
    Column("case_id", String(40), nullable=False),
    Column("last_seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    PrimaryKeyConstraint("anchor_id", "case_id", name="pk_anchor_heads"),
)
Index("ix_anchor_heads_case", anchor_heads.c.case_id, anchor_heads.c.anchor_id)
