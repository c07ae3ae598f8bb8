"""Personal data in free text: phone numbers, ID numbers, e-mail addresses and known names replaced by placeholders.

A description is typed by a citizen or an operator and often carries what the requester table keeps apart: "请回电
13812345678", an ID number, an e-mail address, the requester's own name. Requester identity is personal information,
masked in every department-facing view and never published (GZ Art. 15; SZ Art. 18, 19). Departments get the
description with those redacted (the original stays in intake, encrypted); the public Open311 view also loses house
and room numbers (street level only).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date

from caseflow_common.masking import COMPOUND_SURNAMES

PHONE = "[电话]"
ID_NUMBER = "[证件号]"
EMAIL = "[邮箱]"
NUMBER = "[号码]"
NAME = "[姓名]"
ACCOUNT = "[账号]"
HOUSE_NUMBER = "[门牌]"

_D = "[0-9０-９]"  # people type full-width digits too
_NOT_DIGIT_BEFORE = "(?<![0-9０-９])"
_NOT_DIGIT_AFTER = "(?![0-9０-９])"
# Between digit groups: a space, a dash or a dot, once (138 1234 5678, 138-1234-5678, 020.8765.4321).
_SEP = r"[ \t\u3000\-－‐–—.．]?"

_EMAIL = re.compile(
    # Starts only where a run of address characters starts, and bounded: linear on any 4000-character text.
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}\s*(?:@|＠|\[at\]|\(at\)|（at）)\s*[A-Za-z0-9\-]{1,63}"
    r"(?:\s*(?:\.|．|\[dot\]|\(dot\)|（dot）)\s*[A-Za-z0-9\-]{1,63}){1,8}",
    re.IGNORECASE,
)
# 18 characters: 6-digit area, birth date, 3-digit sequence, check character (0-9 or X); spaces may split 6-8-4.
_ID18 = re.compile(
    rf"(?<![0-9０-９A-Za-z])[1-9１-９]{_D}{{5}}[ \t\u3000]?{_D}{{8}}[ \t\u3000]?{_D}{{3}}[0-9０-９Xx×ｘＸ](?![0-9０-９A-Za-z])"
)
# Bank cards and other long account numbers: 15-19 digits in a row, or in groups of four.
_LONG_NUMBER = re.compile(
    rf"{_NOT_DIGIT_BEFORE}(?:{_D}{{15,19}}|{_D}{{4}}(?:[ \-]{_D}{{4}}){{3}}(?:[ \-]?{_D}{{1,3}})?){_NOT_DIGIT_AFTER}"
)
_COUNTRY = r"(?:(?:[+＋]|00)\s*86\s*[\-－]?\s*|86[\-－]\s*)"
_MOBILE = re.compile(rf"{_NOT_DIGIT_BEFORE}{_COUNTRY}?[1１][3-9３-９](?:{_SEP}{_D}){{9}}{_NOT_DIGIT_AFTER}")
_EXTENSION = rf"(?:\s*(?:转|分机|ext\.?|x|-)\s*{_D}{{1,5}})?"
_LANDLINE = re.compile(
    rf"{_NOT_DIGIT_BEFORE}(?:{_COUNTRY}[(（]?0?[1-9１-９]{_D}{{1,2}}[)）]?|[(（]?[0０][1-9１-９]{_D}{{1,2}}[)）]?)"
    rf"\s*[\-－]?\s*[1-9１-９]{_D}{{2,3}}{_SEP}{_D}{{4}}{_NOT_DIGIT_AFTER}{_EXTENSION}",
    re.IGNORECASE,
)
# A local number without area code is only taken for a phone when it is announced as one.
_ANNOUNCED_LOCAL = re.compile(
    rf"(?P<lead>(?:电话|手机|座机|联系方式|号码|致电|拨打|回电|tel|phone|call)\s*(?:是|为|:|：)?\s*)"
    rf"[1-9１-９]{_D}{{2,3}}{_SEP}{_D}{{4}}{_NOT_DIGIT_AFTER}",
    re.IGNORECASE,
)
_HANDLE = re.compile(
    r"(?P<lead>(?:QQ|微信号?|wechat|weixin|vx|v信)\s*(?:号|是|为|:|：)?\s*)[A-Za-z0-9_\-]{5,20}",
    re.IGNORECASE,
)
# Common surnames (the first hundred cover most people); a compound surname is two characters.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤区麦欧"
)
_SURNAME = "(?:" + "|".join(sorted(COMPOUND_SURNAMES)) + f"|[{_SURNAMES}])"
# A given name is one or two characters, never one of the words that usually follow a name (有, 在, 住, 的, ...).
_GIVEN = "(?:[\u4e00-\u9fff](?<![有是在住的了和与及说因被把从到向给叫也都就还又已曾将要会]))"
_RELATIVE = "弟弟|哥哥|姐姐|妹妹|父亲|母亲|爸爸|妈妈|儿子|女儿|丈夫|妻子|老公|老婆|爷爷|奶奶|外公|外婆|孙子|孙女|邻居|房东|租客|同事"
# "我叫…", "姓名：…", "我弟弟李小四…": the name that follows, whoever's it is.
_ANNOUNCED_NAME = re.compile(
    rf"(?P<lead>(?:(?:我叫|名叫|姓名|联系人)\s*(?:是|为|:|：)?\s*)|(?:{_RELATIVE})\s*){_SURNAME}{_GIVEN}{{1,2}}"
)

_CN_NUMERAL = "[一二三四五六七八九十百零〇两]"
# House, building, unit, floor and room numbers: 5号, 3号楼, 2栋, 1单元, 402室, 十号 (never 11月3号, a date, or
# 3号线, a metro line); a room number straight after them (5号402) goes too.
_SUFFIX = "(?:号楼|号院|号铺|号(?!线)|號|栋|幢|座|单元|室|房|层|楼|弄)"
_HOUSE = re.compile(
    rf"(?:(?<![月0-9０-９]){_D}+[A-Za-z]?|(?<![月一二三四五六七八九十百零〇两]){_CN_NUMERAL}+|(?<![A-Za-z])[A-Za-z])"
    rf"\s*{_SUFFIX}(?:\s*[\-－之]?\s*{_D}+[A-Za-z]?{_SUFFIX}?)*"
    rf"|(?<![A-Za-z])(?:No\.?|#|Room|Rm\.?|Flat|Unit|Apt\.?)\s*{_D}+[A-Za-z]?\b",
    re.IGNORECASE,
)

_RUNS = re.compile(r"(?:\[门牌\]\s*){2,}")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _ascii(text: str) -> str:
    # Full-width digits and letters as ASCII (NFKC), × as X, separators dropped.
    return "".join(c for c in unicodedata.normalize("NFKC", text).replace("×", "X") if not c.isspace()).upper()


def id_checksum_ok(number: str) -> bool:
    """True when an 18-character resident ID number's last character is its ISO 7064 MOD 11-2 check character."""
    value = _ascii(number)
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def _birth_date_plausible(value: str) -> bool:
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2100


def looks_like_id_number(number: str) -> bool:
    """An 18-character resident ID number: its check character holds, or it carries a real birth date.

    A mistyped ID still names a person, so a wrong check character alone does not let it through.
    """
    value = _ascii(number)
    if len(value) != 18 or not value[:17].isdigit():
        return False
    return id_checksum_ok(value) or _birth_date_plausible(value)


def _ids(text: str) -> str:
    return _ID18.sub(lambda m: ID_NUMBER if looks_like_id_number(m.group(0)) else m.group(0), text)


def _keep_lead(placeholder: str) -> Callable[[re.Match[str]], str]:
    return lambda m: m.group("lead") + placeholder


def _names(text: str, names: Iterable[str]) -> str:
    # Longest first, so 欧阳娜娜 goes whole before a shorter given name could split it.
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = re.sub(re.escape(name), NAME, text, flags=re.IGNORECASE)
    return _ANNOUNCED_NAME.sub(_keep_lead(NAME), text)


def redact_personal(text: str, *, names: Iterable[str] = ()) -> str:
    """The text with phone numbers, ID numbers, e-mail addresses, account numbers and the given names redacted.

    What a department may read of a description (GZ Art. 15; SZ Art. 19); applying it twice changes nothing.
    """
    out = _EMAIL.sub(EMAIL, text)
    out = _ids(out)
    out = _LONG_NUMBER.sub(NUMBER, out)
    out = _MOBILE.sub(PHONE, out)
    out = _LANDLINE.sub(PHONE, out)
    out = _ANNOUNCED_LOCAL.sub(_keep_lead(PHONE), out)
    out = _HANDLE.sub(_keep_lead(ACCOUNT), out)
    return _names(out, names)


def redact_public(text: str, *, names: Iterable[str] = ()) -> str:
    """What the public may read of a description: ``redact_personal`` and no house or room numbers (street level)."""
    return _RUNS.sub(HOUSE_NUMBER, _HOUSE.sub(HOUSE_NUMBER, redact_personal(text, names=names)))


def redact_house_numbers(address: str) -> str:
    """An address without its house, building and room numbers."""
    return _RUNS.sub(HOUSE_NUMBER, _HOUSE.sub(HOUSE_NUMBER, address))
