"""Root conftest: the shared fixtures (real broker, real databases, service harnesses) live in caseflow_common.testing."""

pytest_plugins = ["caseflow_common.testing"]
