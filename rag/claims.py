"""What a claim asserts beyond its words: its quantities (numbers with their units) and its polarity
(negated or not). Citation checking uses these so that "keep it for 5 days" is not supported by a
passage that says 2 hours, and "X does not need Y" not by one that says it does.

Numbers are read as digits (`30`, `10,000`, `1.5`, `2.4.0`), with multipliers (`10k`, `3 million`,
`1万`), as simple English words (`thirty`, `twenty-five`) and as simple Chinese numerals before a
measure word (`三十分钟`, `三个`). Units of time and size are compared by value (`30 minutes` =
`30-minute` = `30min` = `三十分钟` = `1800 seconds`). Numbers inside identifiers (`a2b`, `AB-1234`,
`v1.30`) are words, not quantities; "one"/"一" alone are mostly articles and are not counted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# canonical unit -> (dimension, size in the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    "nanosecond": ("time", 1e-9),
    "microsecond": ("time", 1e-6),
    "millisecond": ("time", 1e-3),
    "second": ("time", 1.0),
    "minute": ("time", 60.0),
    "hour": ("time", 3600.0),
    "day": ("time", 86400.0),
    "week": ("time", 604800.0),
    "month": ("time", 2629800.0),
    "year": ("time", 31557600.0),
    "byte": ("size", 1.0),
    "kilobyte": ("size", 1024.0),
    "megabyte": ("size", 1024.0**2),
    "gigabyte": ("size", 1024.0**3),
    "terabyte": ("size", 1024.0**4),
    "percent": ("ratio", 0.01),
    "times": ("factor", 1.0),
}
_ALIASES = {
    **{name: name for name in _UNITS},
    "ns": "nanosecond",
    "us": "microsecond",
    "µs": "microsecond",
    "ms": "millisecond",
    "s": "second",
    "sec": "second",
    "secs": "second",
    "min": "minute",
    "mins": "minute",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "d": "day",
    "wk": "week",
    "mo": "month",
    "yr": "year",
    "yrs": "year",
    "kb": "kilobyte",
    "kib": "kilobyte",
    "mb": "megabyte",
    "mib": "megabyte",
    "gb": "gigabyte",
    "gib": "gigabyte",
    "tb": "terabyte",
    "tib": "terabyte",
    "%": "percent",
    "％": "percent",
    "x": "times",
    "纳秒": "nanosecond",
    "微秒": "microsecond",
    "毫秒": "millisecond",
    "秒": "second",
    "秒钟": "second",
    "分钟": "minute",
    "小时": "hour",
    "个小时": "hour",
    "天": "day",
    "周": "week",
    "星期": "week",
    "个星期": "week",
    "个月": "month",
    "年": "year",
    "倍": "times",
}
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "million": 1e6, "billion": 1e9, "千": 1e3, "万": 1e4, "亿": 1e8}
# Chinese measure words after which a numeral is a count (unit-less unless in _ALIASES).
_CN_MEASURES = "|".join(
    ("个小时", "个星期", "个月", "分钟", "小时", "毫秒", "微秒", "纳秒", "秒钟", "秒", "星期", "周", "天", "年", "倍")
    + ("个", "位", "名", "种", "条", "项", "次", "台", "人", "篇", "家", "岁", "层", "步", "章", "节", "款", "行", "份")
)

_DIGITS = re.compile(r"(?<![A-Za-z0-9_.])(?<![A-Za-z_]-)(\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:\.\d+)*)")
_GLUED = re.compile(r"[A-Za-zµ%％]+")
_SPACED = re.compile(r"[ \t]?-?[ \t]?(?:([A-Za-z]+)|([%％]))|\s?([万亿千])?\s?(" + _CN_MEASURES + ")?")
_NEXT_WORD = re.compile(r"[ \t]*-?[ \t]*([A-Za-z]+)")
_CN_CHARS = "零〇一二两三四五六七八九十百千万亿"
_CN_NUMERAL = re.compile(f"(?<![第{_CN_CHARS}])([{_CN_CHARS}]+)(?={_CN_MEASURES})")
_EN_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve") + (
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_EN_SMALL = {word: n for n, word in enumerate(_EN_WORDS, start=2)}
_EN_DECADES = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_TENS = {word: 10 * n for n, word in enumerate(_EN_DECADES, start=2)}
_EN_ONES = {"one": 1, **{w: n for w, n in _EN_SMALL.items() if n < 10}}
_EN_NUMBER = re.compile(
    rf"\b(?:({'|'.join(_EN_TENS)})(?:[\s-]({'|'.join(_EN_ONES)}))?|({'|'.join(_EN_SMALL)}))\b", re.I
)
_CN_DIGITS = {**dict(zip("零一二三四五六七八九", range(10), strict=True)), "〇": 0, "两": 2}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_ENUMERATOR = re.compile(r"^[ \t]*(?:\d{1,2}[.)、]|[-*•])[ \t]+", re.M)  # "1. ", "- " at a line start


@dataclass(frozen=True)
class Quantity:
    """One number a text states, with its unit when it has a known one."""

    value: float
    unit: str | None = None
    digits: str = ""  # as written in digits (no grouping commas), for version-like numbers

    def matches(self, other: Quantity) -> bool:
        """The same amount: equal in a shared unit dimension, or equal numbers where a unit is missing
        on either side ("30" in a passage supports "30 minutes"), or a version and its refinement."""
        if self.is_version or other.is_version:
            refines = "." in self.digits and other.digits.startswith(self.digits + ".")  # 2.4 -> 2.4.0
            return other.digits == self.digits or refines
        if self.unit and other.unit:
            (mine, size), (theirs, other_size) = _UNITS[self.unit], _UNITS[other.unit]
            return mine == theirs and _close(self.value * size, other.value * other_size)
        return _close(self.value, other.value)

    @property
    def is_version(self) -> bool:
        return self.digits.count(".") >= 2


def quantities(text: str) -> list[Quantity]:
    """The numbers `text` states, in reading order."""
    text = _ENUMERATOR.sub("", text)
    found = [(m.start(), q) for m, q in _digit_quantities(text)]
    found += [(m.start(), q) for m, q in _word_quantities(text)]
    found += [(m.start(), q) for m, q in _chinese_quantities(text)]
    return [q for _, q in sorted(found, key=lambda item: item[0])]


def unsupported_quantities(claim: str, source: str) -> list[Quantity]:
    """The claim's quantities that the source never states."""
    available = quantities(source)
    return [q for q in quantities(claim) if not any(q.matches(s) for s in available)]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _digit_quantities(text: str) -> list[tuple[re.Match[str], Quantity]]:
    found = []
    for match in _DIGITS.finditer(text):
        digits = match.group(1).replace(",", "")
        value = float(digits) if digits.count(".") <= 1 else 0.0  # a version compares by its digits
        rest = text[match.end() : match.end() + 16]
        glued = _GLUED.match(rest)
        if glued:
            read = _glued_suffix(glued.group(0))
            if read is None:
                continue  # an identifier such as 5G, 3rd, 2fa
            multiplier, unit = read
        else:
            multiplier, unit = _spaced_suffix(rest)
        found.append((match, Quantity(value * multiplier, unit, digits)))
    return found


def _glued_suffix(word: str) -> tuple[float, str | None] | None:
    """'min' -> (1, minute); 'k' -> (1000, None); 'kb' -> (1, kilobyte); 'rd' -> None."""
    lowered = word.lower()
    if lowered in _MULTIPLIERS:
        return _MULTIPLIERS[lowered], None
    unit = _unit(lowered)
    return (1.0, unit) if unit else None


def _spaced_suffix(rest: str) -> tuple[float, str | None]:
    """Multiplier and unit written after a space or hyphen: '30 minutes', '3 million users', '1 万'."""
    match = _SPACED.match(rest)
    if not match:
        return 1.0, None
    word, percent, cn_multiplier, cn_unit = match.groups()
    if percent:
        return 1.0, "percent"
    if cn_multiplier or cn_unit:
        return _MULTIPLIERS.get(cn_multiplier or "", 1.0), _unit(cn_unit or "")
    if not word:
        return 1.0, None
    lowered = word.lower()
    if lowered in _MULTIPLIERS and lowered != "k":
        following = _NEXT_WORD.match(rest[match.end() :])
        return _MULTIPLIERS[lowered], _unit(following.group(1).lower()) if following else None
    return 1.0, _unit(lowered) if lowered not in ("s", "h", "d", "x", "mo", "us") else None


def _unit(word: str) -> str | None:
    """Canonical unit of a word ('minutes' -> 'minute'), None when it is no unit."""
    if word in _ALIASES:
        return _ALIASES[word]
    if word.endswith("s") and word[:-1] in _UNITS:
        return word[:-1]
    return None


def _word_quantities(text: str) -> list[tuple[re.Match[str], Quantity]]:
    found = []
    for match in _EN_NUMBER.finditer(text):
        tens, ones, small = (g.lower() if g else g for g in match.groups())
        value = float(_EN_TENS[tens] + (_EN_ONES[ones] if ones else 0)) if tens else float(_EN_SMALL[small])
        multiplier, unit = _spaced_suffix(text[match.end() : match.end() + 24])
        found.append((match, Quantity(value * multiplier, unit)))
    return found


def _chinese_quantities(text: str) -> list[tuple[re.Match[str], Quantity]]:
    found = []
    for match in _CN_NUMERAL.finditer(text):
        value = _chinese_value(match.group(1))
        if value is None or value == 1:
            continue  # 一个, 一种: an article more than a count
        measure = re.match(_CN_MEASURES, text[match.end() :])
        found.append((match, Quantity(float(value), _unit(measure.group(0)) if measure else None)))
    return found


def _chinese_value(numeral: str) -> int | None:
    """三十 -> 30, 二十五 -> 25, 两千 -> 2000, 三万 -> 30000, 二〇一六 -> 2016; None if not a number."""
    if all(ch in _CN_DIGITS for ch in numeral):
        if len(numeral) not in (1, 4):
            return None  # 两三个 is "two or three"; only years are read digit by digit
        return int("".join(str(_CN_DIGITS[ch]) for ch in numeral))
    total = section = 0
    digit: int | None = None
    for ch in numeral:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None  # two digits in a row inside a composed numeral
            digit = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            section += (digit if digit is not None else 1) * _CN_SMALL[ch]
            digit = None
        else:
            total = (total + section + (digit or 0)) * _CN_BIG[ch]
            section, digit = 0, None
    return total + section + (digit or 0)


# Negation cues. Chinese ones are matched after removing words that merely contain a cue character
# (不同 "different", 非常 "very", 未来 "future", 不断 "continuously"...).
_EN_NEGATION = re.compile(
    r"\b(?:not(?!\s+only\b)(?!\s+just\b)|no|never|none|nothing|nobody|neither|nor|without|cannot)\b|n't\b", re.I
)
_ZH_NOT_NEGATION = re.compile(
    "不同|不断|不过|不仅|不但|不少|不久|不管|不论|不得不|差不多|不错|要不|不妨|不可或缺|未来|没错|毫无疑问"
)
_ZH_NEGATION = re.compile("不|没|未|勿|别再|无法|无需|无须|毫无|并无|并非|绝非|从无|无从")


def is_negated(text: str) -> bool:
    """Whether the sentence says something is not so."""
    if _EN_NEGATION.search(text):
        return True
    return bool(_ZH_NEGATION.search(_ZH_NOT_NEGATION.sub("", text)))
