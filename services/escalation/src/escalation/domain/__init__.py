"""Pure escalation rules: calendar, SLA policies, clocks, the supervision ladder and pattern triggers."""
