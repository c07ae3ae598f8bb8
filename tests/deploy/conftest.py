"""Fixtures of the deployment tests (helpers: deploy_support.py, importable from the tests of this folder)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy_support import DEPLOY, SERVICES, env_dict, load_yaml


@pytest.fixture(scope="session")
def compose_text() -> str:
    return (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_yaml(DEPLOY / "docker-compose.yml")


@pytest.fixture(scope="session")
def scale_override() -> dict[str, Any]:
    return load_yaml(DEPLOY / "docker-compose.scale.yml")


@pytest.fixture(scope="session")
def service_envs(compose: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each caseflow service's raw (not interpolated) environment, as compose hands it to the container."""
    return {svc: env_dict(compose["services"][svc]["environment"]) for svc in SERVICES}
