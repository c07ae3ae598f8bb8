"""schemathesis over the four services' OpenAPI documents: every operation, with the schema's examples, its coverage
cases (boundary values, missing and wrong-typed fields, methods it does not offer) and generated requests (valid ones
and ones that break the schema), sent in-process through schemathesis's ASGI transport with a token of a role the
operation admits (the policy table's). Not one answer may be a 5xx (``not_a_server_error``).

Deterministic (derandomized, no example database) and bounded (MAX_EXAMPLES generated requests per operation and
generation mode), so the four services take well under a minute on a loaded 2-core machine. The operations are run with
schemathesis's own test builder (what its pytest plugin and its engine run); the plugin itself does not run on this
pytest (``'Function' object has no attribute '_nodeid'``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test
from schemathesis.python import asgi
from security_policy import POLICY, PRINCIPALS, permitted
from security_stack import SERVICES, bearer

from caseflow_common.testing import service_settings

# Generated requests per operation and generation mode; CASEFLOW_FUZZ_EXAMPLES=200 explores deeper.
MAX_EXAMPLES = int(os.environ.get("CASEFLOW_FUZZ_EXAMPLES", "10"))
RUN = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found, in bounded time
    suppress_health_check=list(HealthCheck),
)


def _caller(headers: dict[str, str], answers: Counter[int]) -> Callable[[Any], None]:
    """The test schemathesis runs on each case: send it with the token, no 5xx allowed, count the answer."""

    def call(case: Any) -> None:
        answers[case.call_and_validate(headers=headers, checks=[not_a_server_error]).status_code] += 1

    return call


@pytest.mark.parametrize("service", list(SERVICES))
def test_no_generated_request_gets_a_server_error(broker: str, tmp_path: Path, service: str):
    build, settings_cls, overrides = SERVICES[service]
    url = f"sqlite+aiosqlite:///{tmp_path}/{service}.db"
    config = service_settings(
        settings_cls, broker=broker, prefix="fuzz.", database_url=url, run_workers=False, **overrides
    )
    _, app = build(config)
    failures: list[str] = []
    answers: Counter[int] = Counter()
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)  # starts the app (its lifespan) in-process
        operations = [result.ok() for result in schema.get_all_operations()]
        modes = HypothesisTestConfig(project=schema.config, modes=list(HypothesisTestMode), settings=RUN)
        for operation in operations:
            role = permitted(POLICY[(service, operation.method.upper(), operation.path)])
            headers = bearer(role, PRINCIPALS[role].own) if role is not None else {}

            try:
                create_test(operation=operation, test_func=_caller(headers, answers), config=modes)()
            except Exception as exc:  # every operation runs; their failures are listed together
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
    finally:
        asgi.shutdown_lifespans()
    print(
        f"{service}: {len(operations)} operations, {answers.total()} requests, answers {dict(sorted(answers.items()))}"
    )
    assert answers.total() >= len(operations)
    assert not failures, "\n\n".join(failures)
