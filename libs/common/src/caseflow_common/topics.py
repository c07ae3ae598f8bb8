"""Topic names and partition counts: one place, so producers, consumers and deployment agree."""

from __future__ import annotations

INTAKE = "caseflow.intake.v1"
DISPATCH = "caseflow.dispatch.v1"
ESCALATION = "caseflow.escalation.v1"
DLQ = "caseflow.dlq.v1"

ALL = (INTAKE, DISPATCH, ESCALATION, DLQ)
