"""intake has no built-in key: the embedded default makes its keys per checkout, and intake refuses to start without."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from caseflow_common.devstack import dev_intake_secrets, dev_open311_key, intake_env
from intake.privacy import PhoneVault
from intake.settings import Settings

SECRET = "s" * 40


def _from_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *, mode: str = "dev") -> Settings:
    for key, value in {"CASEFLOW_ENV": mode, "CASEFLOW_AUTH_SECRET": SECRET, **env}.items():
        monkeypatch.setenv(key, value)
    return Settings()


def test_the_embedded_default_makes_intakes_keys_once_per_checkout_and_keeps_them(tmp_path: Path) -> None:
    first = dev_intake_secrets(tmp_path / "a")
    assert dev_intake_secrets(tmp_path / "a") == first  # a restarted stack still reads the phones it stored
    other = dev_intake_secrets(tmp_path / "b")
    assert other["phone_encryption_keys"] != first["phone_encryption_keys"]
    assert other["phone_hash_key"] != first["phone_hash_key"]
    assert dev_open311_key(tmp_path / "b") != dev_open311_key(tmp_path / "a")
    assert (tmp_path / "a" / "keys" / "intake.json").stat().st_mode & 0o077 == 0
    # The keys work: a phone encrypted with them reads back, and hashes the same every time.
    vault = PhoneVault(first["phone_encryption_keys"], first["phone_hash_key"])
    assert vault.decrypt(vault.encrypt("13800138000")) == "13800138000"


def test_intake_in_dev_takes_the_keys_the_embedded_default_passes(tmp_path: Path, monkeypatch) -> None:
    settings = _from_env(monkeypatch, intake_env(tmp_path))
    made = json.loads((tmp_path / "keys" / "intake.json").read_text())
    assert settings.phone_encryption_keys == made["phone_encryption_keys"]
    assert settings.phone_hash_key == made["phone_hash_key"]
    assert settings.open311_api_keys == {dev_open311_key(tmp_path): "open311-dev"}


def test_intake_refuses_to_start_without_its_keys_even_in_dev(monkeypatch) -> None:
    for key in ("CASEFLOW_PHONE_ENCRYPTION_KEYS", "CASEFLOW_PHONE_HASH_KEY", "CASEFLOW_OPEN311_API_KEYS"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ValidationError, match="CASEFLOW_PHONE_ENCRYPTION_KEYS is not set"):
        _from_env(monkeypatch, {})
    short = "a-short-hash-key-not-to-be-echoed"[:20]
    with pytest.raises(ValidationError, match="CASEFLOW_PHONE_HASH_KEY must be a strong key") as refused:
        _from_env(monkeypatch, {"CASEFLOW_PHONE_ENCRYPTION_KEYS": '["k"]', "CASEFLOW_PHONE_HASH_KEY": short})
    assert short not in str(refused.value)


def test_the_embedded_defaults_keys_are_refused_outside_dev(tmp_path: Path, monkeypatch) -> None:
    env = intake_env(tmp_path)
    with pytest.raises(ValidationError, match="CASEFLOW_PHONE_HASH_KEY may not be a dev key"):
        _from_env(monkeypatch, env, mode="prod")
    env["CASEFLOW_PHONE_HASH_KEY"] = "h" * 40
    with pytest.raises(ValidationError, match="CASEFLOW_OPEN311_API_KEYS may not hold dev"):
        _from_env(monkeypatch, env, mode="prod")
    env["CASEFLOW_OPEN311_API_KEYS"] = json.dumps({"open311-client-key-0123456789": "client"})
    assert _from_env(monkeypatch, env, mode="prod").env == "prod"
