"""The one image of the four services (Dockerfile at the repository root), checked without a Docker engine."""

from __future__ import annotations

import re

import pytest
from deploy_support import ROOT, SERVICES, settings_class

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
# Instructions with their continuation lines joined.
INSTRUCTIONS = [
    line.strip()
    for line in re.sub(r"\\\n\s*", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def instructions(keyword: str) -> list[str]:
    return [line[len(keyword) :].strip() for line in INSTRUCTIONS if line.split()[0].upper() == keyword]


def test_the_base_image_is_python_311_slim_bookworm_pinned_by_its_full_version() -> None:
    (arg,) = [a for a in instructions("ARG") if a.startswith("PYTHON_IMAGE=")]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm", arg)
    stages = instructions("FROM")
    assert stages == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]


def test_the_runtime_stage_takes_only_the_built_environment_from_the_build_stage() -> None:
    runtime = DOCKERFILE[DOCKERFILE.index("AS runtime") :]
    assert "COPY --from=build /opt/caseflow /opt/caseflow" in runtime
    assert "pip install" not in runtime


def test_the_pinned_constraints_install_common_and_every_service() -> None:
    (install,) = [r for r in instructions("RUN") if "-c constraints.txt" in r]
    packages = set(re.findall(r"\./(\S+)", install))
    assert packages == {"libs/common", *(f"services/{svc}" for svc in SERVICES)}
    assert {p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml")} == set(SERVICES)


def test_the_services_run_as_a_non_root_user() -> None:
    users = instructions("USER")
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert re.search(rf"useradd[^\n]*--uid {users[-1].split(':')[0]}\b", DOCKERFILE)
    assert INSTRUCTIONS.index(f"USER {users[-1]}") < INSTRUCTIONS.index(
        next(i for i in INSTRUCTIONS if i.startswith("CMD"))
    )


def test_the_image_exposes_the_port_each_service_listens_on_by_default() -> None:
    exposed = {int(p) for e in instructions("EXPOSE") for p in e.split()}
    assert exposed == {settings_class(svc).model_fields["http_port"].default for svc in SERVICES}


def test_the_health_check_asks_healthz_with_the_standard_library() -> None:
    (check,) = instructions("HEALTHCHECK")
    assert "urllib.request" in check and "/healthz" in check and "CASEFLOW_HTTP_PORT" in check
    assert re.search(r"--timeout=\d+s", check) and re.search(r"--start-period=\d+s", check)


def test_the_command_picks_a_service_module_and_production_is_the_default_mode() -> None:
    (cmd,) = instructions("CMD")
    assert re.fullmatch(r'\["python", "-m", "(intake|dispatch|escalation|audit)"\]', cmd)
    env = " ".join(instructions("ENV"))
    assert "CASEFLOW_ENV=prod" in env and "CASEFLOW_HTTP_HOST=0.0.0.0" in env
    data_dir = re.search(r"CASEFLOW_DATA_DIR=(\S+)", env)
    assert data_dir and f"COPY data/demo {data_dir.group(1)}" in INSTRUCTIONS


@pytest.mark.parametrize("pattern", ["**/.venv", "var/", "**/.env", "**/.git", "**/__pycache__", "**/tests"])
def test_the_build_context_leaves_out_local_state_and_secrets(pattern: str) -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert pattern in ignored
