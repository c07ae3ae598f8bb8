"""Versioned payload models, one module per producing service; importing this package registers them all."""

from caseflow_common.contracts import dispatch, escalation, intake  # noqa: F401  (registration side effect)
