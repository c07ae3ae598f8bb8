from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from intake.domain.case_number import (
    CaseNumber,
    case_number_for,
    format_case_number,
    local_date,
    parse_case_number,
    parse_case_number_or_raise,
)


def test_a_case_number_has_prefix_local_date_and_padded_sequence() -> None:
    assert format_case_number("GZ", date(2026, 11, 21), 123) == "GZ-20261121-000123"


def test_a_case_after_shanghai_midnight_belongs_to_the_next_day() -> None:
    at = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)  # 00:30 on the 22nd in Shanghai
    assert local_date(at) == date(2026, 11, 22)
    assert case_number_for("GZ", at, 1) == "GZ-20261122-000001"


def test_a_case_just_before_shanghai_midnight_keeps_its_day() -> None:
    at = datetime(2026, 11, 21, 15, 59, 59, tzinfo=UTC)
    assert case_number_for("GZ", at, 7) == "GZ-20261121-000007"


def test_the_zone_is_configuration() -> None:
    at = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
    assert local_date(at, zone=timezone(timedelta(hours=-5))) == date(2026, 11, 21)


def test_a_naive_time_cannot_be_placed_on_a_local_day() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2026, 11, 21, 16, 30))


def test_a_sequence_beyond_the_padding_still_gets_a_number_that_parses_back() -> None:
    text = format_case_number("SZ", date(2026, 1, 2), 1_234_567)
    assert text == "SZ-20260102-1234567"
    assert parse_case_number(text) == CaseNumber("SZ", date(2026, 1, 2), 1_234_567)


def test_case_numbers_parse_back_to_their_parts() -> None:
    parsed = parse_case_number_or_raise("GZ-20261121-000123")
    assert parsed == CaseNumber("GZ", date(2026, 11, 21), 123)
    assert str(parsed) == "GZ-20261121-000123"


@pytest.mark.parametrize(
    "text",
    ["", "GZ-2026112-000123", "GZ-20261321-000123", "gz-20261121-000123", "GZ-20261121-123", "GZ-20261121-000000"],
)
def test_text_that_is_not_a_case_number_does_not_parse(text: str) -> None:
    assert parse_case_number(text) is None
    with pytest.raises(ValueError):
        parse_case_number_or_raise(text)


@pytest.mark.parametrize(("prefix", "seq"), [("gz", 1), ("", 1), ("GZ", 0)])
def test_bad_prefixes_and_sequences_are_refused(prefix: str, seq: int) -> None:
    with pytest.raises(ValueError):
        format_case_number(prefix, date(2026, 11, 21), seq)
