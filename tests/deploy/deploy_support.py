"""Helpers of the deployment tests: compose parsing and interpolation, the services' Settings, external tools."""

from __future__ import annotations

import importlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = ("intake", "dispatch", "escalation", "audit")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Stands in for every ${VAR:?...} when the tests build Settings from the compose environment: long and not "dev-only-".
REQUIRED_PLACEHOLDER = "required-secret-from-deploy-env-0123456789abcdef"

_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")


class ComposeLoader(yaml.SafeLoader):
    """YAML loader that knows the compose merge tags (!reset, !override) of override files."""


def _tagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    return loader.construct_scalar(node)


ComposeLoader.add_constructor("!reset", _tagged)
ComposeLoader.add_constructor("!override", _tagged)


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=ComposeLoader)


def required_variables(text: str) -> set[str]:
    """Names used as ${NAME:?message} (compose refuses to start while they are empty)."""
    return {m["name"] for m in _VARIABLE.finditer(text) if m["op"] in (":?", "?")}


def interpolate(value: Any, required: str = REQUIRED_PLACEHOLDER) -> Any:
    """Compose interpolation with an empty environment: defaults apply, required variables get a placeholder."""
    if isinstance(value, dict):
        return {k: interpolate(v, required) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, required) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        op, arg = m["op"], m["arg"] or ""
        if op in (":-", "-"):
            return arg
        if op in (":?", "?"):
            return required
        return ""

    return _VARIABLE.sub(sub, value)


def env_dict(environment: Any) -> dict[str, str]:
    """A service's environment (mapping or list form) as a dict of strings."""
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {
        k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in (environment or {}).items()
    }


def settings_class(service: str) -> type:
    """The service's Settings class, read at test time so new fields are seen."""
    return importlib.import_module(f"{service}.settings").Settings


def tool_or_skip(name: str) -> str:
    """Path of a CLI tool; missing: skip on a developer machine, fail in CI (CI must install it, see .ci/run)."""
    path = shutil.which(name)
    if path is None:
        package = "prometheus-alertmanager" if name == "amtool" else "prometheus"
        message = f"{name} is not installed (Debian: apt-get install {package}; python3 dev.py test does it)"
        if IN_CI:
            pytest.fail(f"{message}; CI must have it")
        pytest.skip(message)
    return path
