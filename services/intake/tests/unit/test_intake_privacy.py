from typing import Any

import pytest
from cryptography.fernet import Fernet

from intake.privacy import PhoneVault, VaultError, generate_key

HASH_KEY = b"0123456789abcdef-hash-key"


def test_a_phone_survives_encryption_and_comes_back_canonical() -> None:
    vault = PhoneVault(generate_key(), HASH_KEY)
    token = vault.encrypt("+86 138 1234 5678")
    assert "13812345678" not in token
    assert vault.decrypt(token) == "13812345678"


def test_the_same_phone_encrypts_differently_each_time() -> None:
    vault = PhoneVault(generate_key(), HASH_KEY)
    assert vault.encrypt("13812345678") != vault.encrypt("13812345678")


def test_the_hash_is_stable_across_spellings_vaults_and_keys() -> None:
    a = PhoneVault(generate_key(), HASH_KEY)
    b = PhoneVault([generate_key(), generate_key()], HASH_KEY)
    assert a.phone_hash("13812345678") == b.phone_hash("0086-138-1234-5678")
    assert a.phone_hash("13812345678") != a.phone_hash("13812345679")


def test_the_hash_depends_on_the_hash_key() -> None:
    a = PhoneVault(generate_key(), HASH_KEY)
    b = PhoneVault(generate_key(), b"another-hash-key-of-16+")
    assert a.phone_hash("13812345678") != b.phone_hash("13812345678")


def test_rotation_keeps_old_tokens_readable_and_moves_them_to_the_new_key() -> None:
    old_key, new_key = generate_key(), generate_key()
    old_token = PhoneVault(old_key, HASH_KEY).encrypt("13812345678")
    rotated_vault = PhoneVault([new_key, old_key], HASH_KEY)
    assert rotated_vault.decrypt(old_token) == "13812345678"
    new_token = rotated_vault.rotate(old_token)
    assert PhoneVault(new_key, HASH_KEY).decrypt(new_token) == "13812345678"
    with pytest.raises(VaultError):
        PhoneVault(old_key, HASH_KEY).decrypt(new_token)


def test_a_token_from_an_unknown_key_is_refused_without_echoing_it() -> None:
    token = Fernet(Fernet.generate_key()).encrypt(b"13812345678").decode()
    with pytest.raises(VaultError) as caught:
        PhoneVault(generate_key(), HASH_KEY).decrypt(token)
    assert token not in str(caught.value)


@pytest.mark.parametrize(("keys", "hash_key"), [([], HASH_KEY), ("not-a-key", HASH_KEY), (None, b"short")])
def test_bad_keys_are_refused_at_construction(keys: Any, hash_key: bytes) -> None:
    with pytest.raises(ValueError) as caught:
        PhoneVault(generate_key() if keys is None else keys, hash_key)
    assert "not-a-key" not in str(caught.value)


def test_the_vault_never_shows_its_keys() -> None:
    key = generate_key()
    assert key not in repr(PhoneVault(key, HASH_KEY))
