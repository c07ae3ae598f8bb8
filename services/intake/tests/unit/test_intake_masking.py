import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.domain.masking import RequesterView, mask_name, mask_phone, requester_masked, requester_view


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("02012345678", "020****5678"),
        ("075512345678", "075*****5678"),
        ("12345", "*****"),
    ],
)
def test_phones_keep_only_head_and_tail(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧阳**"),
        ("司马光", "司马*"),
        ("欧阳", "欧*"),
        ("王", "*"),
        ("Li Ming", "L* ****"),
    ],
)
def test_names_keep_only_the_surname(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_a_masked_mobile_never_shows_its_middle_four_digits(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked[3:7] == "****"
    assert masked[:3] + masked[7:] == phone[:3] + phone[7:]
    assert sum(c.isdigit() for c in masked) == 7


def test_the_hotline_sees_the_requester_in_full() -> None:
    assert requester_view("hotline", name="张三", phone="13812345678", withheld=False) == RequesterView(
        "张三", "13812345678"
    )


@pytest.mark.parametrize("role", ["department", "coordination", "supervisor", "admin", "grid"])
def test_everyone_else_sees_the_requester_masked(role: str) -> None:
    assert requester_view(role, name="欧阳娜娜", phone="13812345678", withheld=False) == RequesterView(
        "欧阳**", "138****5678"
    )


@pytest.mark.parametrize("role", ["hotline", "department", "supervisor"])
def test_anonymous_and_whistleblower_requesters_are_shown_to_nobody(role: str) -> None:
    assert requester_view(role, name="张三", phone="13812345678", withheld=True) is None


def test_who_may_see_a_withheld_identity_is_configuration() -> None:
    view = requester_view("hotline", name="张三", phone=None, withheld=True, withheld_view_roles=frozenset({"hotline"}))
    assert view == RequesterView("张三", None)


def test_the_event_copy_of_the_requester_is_masked_or_absent() -> None:
    masked = requester_masked(name="张三", phone="13812345678", withheld=False)
    assert masked is not None and masked.as_dict() == {"name": "张*", "phone": "138****5678"}
    assert requester_masked(name="张三", phone="13812345678", withheld=True) is None
