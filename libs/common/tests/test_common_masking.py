"""Requester data as departments see it (GZ Art. 15; SZ Art. 19)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from caseflow_common.masking import COMPOUND_SURNAMES, MASK, mask_name, mask_phone

DIGITS = "0123456789"
# Phones as people type them: digits, separators, a country prefix, full-width digits, and stars.
TYPED_PHONES = st.text(alphabet=DIGITS + "*+- ()０１２３４５６７８９", max_size=24) | st.text(max_size=24)


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


def test_a_star_typed_into_a_name_or_a_number_does_not_pass_it_through():
    assert mask_name("李*明") == "李**"
    assert mask_name("欧阳*娜") == "欧阳**"
    assert mask_phone("139*1234*5678") == "139******5678"
    assert mask_phone("*3912345678") == "*39****5678"


def _kept(name: str) -> int:
    text = name.strip()
    return 2 if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else min(len(text), 1)


@given(st.text(max_size=30))
def test_a_masked_name_shows_its_surname_at_most_and_never_the_name(name: str):
    masked = mask_name(name) or ""
    text = name.strip()
    keep = _kept(name) if len(text) > 1 else 0
    assert len(masked) == len(text)
    assert masked[:keep] == text[:keep] and set(masked[keep:]) <= {MASK, " "}
    if any(c != MASK and not c.isspace() for c in text[keep:]):  # something to hide
        assert name not in masked and text not in masked


@given(TYPED_PHONES)
def test_a_masked_phone_shows_its_first_three_and_last_four_digits_at_most_and_never_the_number(phone: str):
    masked = mask_phone(phone) or ""
    typed = [c for c in phone if c == MASK or (c.isascii() and c.isdigit())]
    assert set(masked) <= set(DIGITS + MASK) and sum(c.isdigit() for c in masked) <= 7
    if len(typed) > 7:
        assert masked[3:-4] == MASK * (len(typed) - 7)
        hidden = typed[3:-4]
    else:
        assert set(masked) <= {MASK}
        hidden = typed
    if any(c.isdigit() for c in hidden):  # a digit to hide
        assert phone not in masked


@given(st.from_regex(r"1[3-9][0-9*]{9}", fullmatch=True))
def test_a_mobile_number_with_stars_typed_into_it_still_hides_its_middle_digits(phone: str):
    masked = mask_phone(phone) or ""
    assert masked == phone[:3] + "****" + phone[7:]
    if any(c.isdigit() for c in phone[3:7]):
        assert phone not in masked
