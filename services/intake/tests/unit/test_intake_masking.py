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
        ("李*明", "李**"),  # a star typed in is no sign of a masked value
        ("王**", "王**"),
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


@given(st.text(max_size=30), st.text(alphabet="0123456789*+- ", max_size=20) | st.text(max_size=20))
def test_no_view_but_the_hotlines_shows_the_raw_name_or_phone(name: str, phone: str) -> None:
    view = requester_view("department", name=name, phone=phone, withheld=False)
    assert view is not None
    text = name.strip()
    if len(text) > 2 and any(c != "*" and not c.isspace() for c in text[2:]):
        assert name not in (view.name or "")
    digits = [c for c in phone if c.isascii() and c.isdigit()]
    if len(digits) >= 8:  # a number long enough to be one: its middle is hidden
        assert phone not in (view.phone or "")


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


def test_a_whistleblower_is_shown_to_no_role_that_sees_anonymous_requesters_unless_named() -> None:
    hotline = frozenset({"hotline"})
    assert (
        requester_view(
            "hotline", name="张三", phone=None, withheld=True, whistleblower=True, withheld_view_roles=hotline
        )
        is None
    )
    granted = requester_view(
        "hotline", name="张三", phone=None, withheld=True, whistleblower=True, whistleblower_view_roles=hotline
    )
    assert granted == RequesterView("张三", None)


def test_who_may_see_a_withheld_identity_is_configuration() -> None:
    view = requester_view("hotline", name="张三", phone=None, withheld=True, withheld_view_roles=frozenset({"hotline"}))
    assert view == RequesterView("张三", None)


def test_the_event_copy_of_the_requester_is_masked_or_absent() -> None:
    masked = requester_masked(name="张三", phone="13812345678", withheld=False)
    assert masked is not None and masked.as_dict() == {"name": "张*", "phone": "138****5678"}
    assert requester_masked(name="张三", phone="13812345678", withheld=True) is None
