"""Root conftest: the shared fixtures (real broker, real databases, service harnesses) live in caseflow_common.testing."""

from hypothesis import settings

pytest_plugins = ["caseflow_common.testing"]

# Property-based tests explore the same examples on every run (a CI failure reproduces locally) and never fail on
# timing: a slow, shared 2-core machine is not a bug.
settings.register_profile("caseflow", derandomize=True, deadline=None, database=None)
settings.load_profile("caseflow")
