"""The answer slot: what kind of value a question asks for (a year, a count, a share, a version, a
length of time, a sum of money) and whether a passage holds such a value that the question does not
already state. These are words and number shapes of the languages, not of any blog."""

from __future__ import annotations

import re
from functools import lru_cache

# Asked kinds, most specific first: "多少钱" is money before it is a count, "哪个版本" a version
# before anything else.
_ASKS = (
    (
        "percent",
        r"百分之|百分比|多少倍|几倍|\bwhat (?:percentage|share|fraction)\b|\bpercent\b|"
        r"\bhow many times (?:faster|slower|more|less|larger|smaller|bigger|higher|lower)\b",
    ),
    (
        "version",
        r"哪个版本|哪一个版本|哪一版|版本号|什么版本|最低版本|\bwhich (?:\w+ )?(?:version|release)\b|"
        r"\bwhat (?:\w+ )?(?:version|release)\b|\bversion number\b",
    ),
    ("money", r"多少钱|花了多少|费用是多少|成本是多少|\bhow much (?:money|did \w+ cost|does \w+ cost)\b|\bprice\b"),
    ("duration", r"多长时间|多久|几天|几个月|几年|几小时|\bhow long\b|\bfor how many (?:days|weeks|months|years)\b"),
    # "when" asks for a time where it opens the question or follows until/since; inside a clause
    # ("what happens when …") it does not.
    (
        "time",
        r"哪一?年|哪个月|何时|什么时候|哪天|哪一天|日期|时间是|^\W*(?:and |so |but )?when\b|"
        r"\b(?:until|since|by|from) when\b|\b(?:what|which|on which|in which) (?:year|month|date|day)\b",
    ),
    # "哪几个" asks which ones (a list), not how many.
    (
        "count",
        r"多少|(?<!哪)几[个位名家项种人次场篇倍张台条]|\bhow (?:many|much|large|big)\b|\bby how much\b|\bnumber of\b",
    ),
)
ASKS = tuple((kind, re.compile(pattern, re.I | re.M)) for kind, pattern in _ASKS)
NUMERIC = frozenset({"count", "percent", "money", "duration"})  # kinds whose values can disagree

_NUMBER = r"\d+(?:[,，]\d{3})*(?:\.\d+)?"
_CN_NUMBER = r"[一二两三四五六七八九十百千万亿]+"
# A month name counts as a date only before a day or year ("May 2023"), not as the verb "may".
_MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\s+\d{1,4}(?:st|nd|rd|th)?\b"
)
_DATE = (
    r"(?<!\d)(?:19|20)\d{2}(?!\d)(?:\s*年)?|\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?|\d{4}-\d{2}(?:-\d{2})?"
    rf"|{_MONTHS}"
)
_VERSION = r"\bv?\d+\.\d+(?:\.\d+)*(?:-[\w.]+)?\b|\b[vV]\d+\b"
_TIME_UNITS = (
    r"秒|分钟|小时|天|周|星期|个月|月|年|\b(?:milli)?seconds?\b|\bminutes?\b|\bhours?\b|\bdays?\b|\bweeks?\b|"
    r"\bmonths?\b|\byears?\b|\bms\b"
)
VALUES = {
    "time": re.compile(_DATE),
    "version": re.compile(_VERSION),
    "percent": re.compile(rf"{_NUMBER}\s*%|百分之|{_NUMBER}\s*(?:倍|x\b|×)|\bpercent\b|\bfold\b|\btimes\b", re.I),
    "money": re.compile(rf"[$¥€£]\s*{_NUMBER}|{_NUMBER}\s*(?:万|亿)?\s*(?:元|美元|美金|dollars?|usd|euros?)", re.I),
    "duration": re.compile(rf"(?:{_NUMBER}|{_CN_NUMBER}|半|几)\s*(?:{_TIME_UNITS})", re.I),
    "count": re.compile(
        rf"(?<![\d.]){_NUMBER}(?![\d.])|{_CN_NUMBER}\s*[个位名家项种人次场篇倍张台条]"
        r"|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
        r"hundreds?|thousands?|millions?|billions?|dozens?)\b",
        re.I,
    ),
}
# A count is none of these: versions, dates, identifiers that start with a letter ("CVE-…", "x86_64")
# and issue numbers hold digits but count nothing.
_NOT_COUNTS = re.compile(rf"{_VERSION}|{_DATE}|\b[A-Za-z][A-Za-z_-]*\d[A-Za-z0-9_.-]*|#\d+")


def asked_kind(question: str) -> str:
    """The kind of value the question's own words ask for; "" when they ask for none."""
    for kind, pattern in ASKS:
        if pattern.search(question):
            return kind
    return ""


@lru_cache(maxsize=4096)  # a question's own values are asked for once per candidate
def slot_values(kind: str, text: str) -> frozenset[str]:
    """The values of `kind` a text gives, normalised (digits and letters only, lower case)."""
    pattern = VALUES.get(kind)
    if pattern is None:
        return frozenset()
    if kind == "count":
        text = _NOT_COUNTS.sub(" ", text)
    return frozenset(_normal(m.group(0)) for m in pattern.finditer(text)) - {""}


def slot_match(kind: str, question: str, passage: str) -> float:
    """+1 when the passage gives a value of the asked kind that the question does not itself state
    ("In which release after 2.4 ..." is not answered by "2.4"), -1 when it gives none, 0 when the
    question asks for no value."""
    if kind not in VALUES:
        return 0.0
    return 1.0 if slot_values(kind, passage) - slot_values(kind, question) else -1.0


def _normal(value: str) -> str:
    return re.sub(r"[^\w%]", "", value).lower()
