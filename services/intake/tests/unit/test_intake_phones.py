import pytest

from intake.domain.phones import PhoneKind, normalise_phone, normalise_phone_or_raise, phone_kind


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("+8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        (" 13812345678 ", "13812345678"),
        ("020-12345678", "02012345678"),
        ("02012345678", "02012345678"),
        ("0755-1234567", "07551234567"),
        ("0755-12345678", "075512345678"),
        ("(020) 12345678", "02012345678"),
        ("+86 20 12345678", "02012345678"),
        ("0086-755-12345678", "075512345678"),
    ],
)
def test_accepted_phone_formats_reduce_to_canonical_digits(raw: str, canonical: str) -> None:
    assert normalise_phone(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345678901",  # mobiles start 13-19
        "10812345678",
        "1381234567",  # ten digits
        "138123456789",  # twelve digits
        "+1 138 1234 5678",
        "86 13812345678",  # country code without + or 00
        "1381234567x",
        "１３８１２３４５６７８",  # full-width digits
        "20-12345678",  # landline without trunk 0
        "020-0234567",  # local number starting with 0
        "020-123456",  # local number too short
        "020-123456789",  # local number too long
        "13812345678 ext 12",
        "+86",
    ],
)
def test_malformed_phones_are_refused(raw: str) -> None:
    assert normalise_phone(raw) is None


def test_the_raising_variant_names_the_accepted_formats() -> None:
    with pytest.raises(ValueError, match=r"1\[3-9\]xxxxxxxxx.*0xx\(x\)-xxxxxxx\(x\)"):
        normalise_phone_or_raise("12345")


def test_phone_kind_tells_mobile_from_landline() -> None:
    assert phone_kind("13812345678") is PhoneKind.MOBILE
    assert phone_kind("02012345678") is PhoneKind.LANDLINE
