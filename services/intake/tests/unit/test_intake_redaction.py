"""Personal data typed into a description is redacted for departments, and house numbers too for the public."""

from __future__ import annotations

import time

import pytest

from intake.domain.redaction import (
    EMAIL,
    HOUSE_NUMBER,
    ID_NUMBER,
    NAME,
    NUMBER,
    PHONE,
    id_checksum_ok,
    looks_like_id_number,
    redact_house_numbers,
    redact_personal,
    redact_public,
)

PHONES = [
    "13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "1381 234 5678",
    "+86 13812345678",
    "+86-138-1234-5678",
    "＋86 138 1234 5678",
    "0086 13812345678",
    "86-13812345678",
    "１３８１２３４５６７８",
    "020-87654321",
    "020 8765 4321",
    "(020) 87654321",
    "（020）8765-4321",
    "02087654321",
    "0755-1234567",
    "020-87654321转123",
    "+86 20 8765 4321",
]


@pytest.mark.parametrize("phone", PHONES)
def test_a_phone_number_in_any_spelling_is_redacted(phone):
    out = redact_personal(f"请回电{phone}，谢谢")
    assert out == f"请回电{PHONE}，谢谢"


@pytest.mark.parametrize("text", ["电话：87654321", "联系电话是 8765-4321", "手机 8765 4321", "call 87654321"])
def test_a_local_number_announced_as_a_phone_is_redacted(text):
    assert PHONE in redact_personal(text) and not any(c.isdigit() for c in redact_personal(text))


IDS = [
    "11010519491231002X",  # the check character holds
    "110105194912310021",  # it does not: a mistyped ID still names a person
    "44010619900101123x",
    "440106 19900101 1234",
    "４４０１０６１９９００１０１１２３４",
]


@pytest.mark.parametrize("number", IDS)
def test_an_id_number_is_redacted_with_or_without_a_valid_check_character(number):
    assert redact_personal(f"身份证号{number}，请核实") == f"身份证号{ID_NUMBER}，请核实"


def test_the_id_check_character_is_computed_per_gb_11643():
    assert id_checksum_ok("11010519491231002X") and not id_checksum_ok("110105194912310021")
    assert id_checksum_ok("11010519491231002x") and not id_checksum_ok("1101051949123100")
    assert looks_like_id_number("110105194912310021")  # a real birth date
    assert looks_like_id_number("110105194913310021")  # month 13, but the check character holds
    assert not looks_like_id_number("110105194913310022")  # month 13 and a wrong check character


EMAILS = [
    "zhang.san@example.com",
    "A_b+c@sub.example.org",
    "li ＠ 163 ． com",
    "wang [at] qq [dot] com",
    "zhao(at)126(dot)com",
    "ZHANG@EXAMPLE.CN",
]


@pytest.mark.parametrize("email", EMAILS)
def test_an_email_address_is_redacted(email):
    assert redact_personal(f"邮箱{email}。谢谢") == f"邮箱{EMAIL}。谢谢"


def test_account_numbers_and_chat_handles_are_redacted():
    assert redact_personal("银行卡 6222 0202 0000 1234 567 被盗刷") == f"银行卡 {NUMBER} 被盗刷"
    assert redact_personal("卡号6222020200001234567") == f"卡号{NUMBER}"
    out = redact_personal("QQ号 123456789，微信：zhang_san88")
    assert "123456789" not in out and "zhang_san88" not in out


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("我叫王五，投诉噪音", "王五"),
        ("姓名：赵六。", "赵六"),
        ("联系人张先生", "张先生"),
        ("我弟弟李小四有严重精神障碍", "李小四"),
        ("我邻居欧阳娜娜在家", "欧阳娜娜"),
        ("房东陈大文不退押金", "陈大文"),
    ],
)
def test_a_name_announced_in_the_text_is_redacted(text, gone):
    out = redact_personal(text)
    assert gone not in out and NAME in out


def test_the_requesters_own_name_is_redacted_wherever_it_appears():
    out = redact_personal("我是张三丰，张三丰再次反映", names=["张三丰", "", "张"])
    assert out == f"我是{NAME}，{NAME}再次反映"
    assert redact_personal("John Smith called", names=["john smith"]) == f"{NAME} called"


@pytest.mark.parametrize(
    "text",
    [
        "案件 GZ-20261120-000123 已经三天了",
        "11月3号下午两点，地铁3号线出口",
        "2026-11-20 09:30 垃圾没人清运",
        "噪音从晚上10点到凌晨2点，持续3天，约80分贝",
        "价格 1380 元，面积 120 平方米，温度 35 度",
        "我邻居家的狗一直叫",
        "拨打12345热线",
    ],
)
def test_ordinary_numbers_dates_and_words_are_left_alone(text):
    assert redact_personal(text) == text
    assert redact_public(text) == text


def test_departments_keep_the_house_number_the_public_does_not():
    text = "我弟弟李小四有严重精神障碍，住员村二横路5号402，电话13812345678"
    department = redact_personal(text)
    assert department == f"我弟弟{NAME}有严重精神障碍，住员村二横路5号402，电话{PHONE}"
    assert redact_public(text) == f"我弟弟{NAME}有严重精神障碍，住员村二横路{HOUSE_NUMBER}，电话{PHONE}"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("沙面北街 1 号", f"沙面北街 {HOUSE_NUMBER}"),
        ("员村二横路5号402", f"员村二横路{HOUSE_NUMBER}"),
        ("天河路3号楼2单元501室", f"天河路{HOUSE_NUMBER}"),
        ("A栋B座12楼1203", HOUSE_NUMBER),
        ("花园小区十号", f"花园小区{HOUSE_NUMBER}"),
        ("Room 402, No. 5 Shamian Road", f"{HOUSE_NUMBER}, {HOUSE_NUMBER} Shamian Road"),
    ],
)
def test_house_building_and_room_numbers_are_removed_from_public_text(address, public):
    assert redact_house_numbers(address) == public
    assert not any(c.isdigit() for c in redact_public(address))


def test_redacting_twice_changes_nothing():
    text = "张三 13812345678 zhang@example.com 11010519491231002X 住5号"
    once = redact_public(text, names=["张三"])
    assert redact_public(once, names=["张三"]) == once
    assert redact_personal(redact_personal(text)) == redact_personal(text)


@pytest.mark.parametrize(
    "text",
    ["a" * 4000, "1" * 4000, "a." * 2000, "1-1-1-" * 666, "1-" * 2000, "1-2.3 " * 666, "a @ " * 1000, "1号" * 2000],
)
def test_a_hostile_description_of_the_largest_size_is_redacted_in_linear_time(text):
    started = time.perf_counter()
    redact_public(text, names=["张三"])
    assert time.perf_counter() - started < 0.5  # quadratic matching took about a second per report
