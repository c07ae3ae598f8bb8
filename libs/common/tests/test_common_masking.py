"""Requester data as departments see it (GZ Art. 15; SZ Art. 19)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from caseflow_common.masking import mask_name, mask_phone


def test_a_mobile_number_shows_only_its_first_three_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"


def test_an_already_masked_value_is_kept_and_a_missing_one_stays_missing():
    assert mask_phone("138****5678") == "138****5678"
    assert mask_name("张*") == "张*"
    assert mask_phone(None) is None and mask_name("") is None


def test_a_name_shows_only_the_family_name():
    assert mask_name("李小明") == "李**"


@given(st.text(alphabet="0123456789", min_size=8, max_size=15))
def test_the_middle_digits_of_a_phone_never_show(phone: str):
    masked = mask_phone(phone)
    assert masked is not None and len(masked) == len(phone)
    assert masked[:3] == phone[:3] and masked[-4:] == phone[-4:] and set(masked[3:-4]) == {"*"}


@given(st.text(alphabet="0123456789", min_size=1, max_size=7))
def test_a_short_number_is_hidden_entirely(phone: str):
    assert set(mask_phone(phone) or "") == {"*"}
