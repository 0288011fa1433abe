"""The one place that turns text into keyword tokens (for BM25 and for answer/citation overlap).

Chinese runs go through jieba's search-mode segmentation; Latin words and identifiers such as
`kubectl`, `v1.30` or `ipvs-proxy` stay whole (and also contribute their parts), lower-cased.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

_IDENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.+#\-]*[A-Za-z0-9+#])?")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_TOKEN_OR_CJK = re.compile(f"{_IDENT.pattern}|{_CJK_RUN.pattern}")
_PART_SPLIT = re.compile(r"[._\-]+")

# Function words that match everywhere and so only add noise to BM25 and overlap scores.
_STOPWORDS_EN = """
    a an the of to in on for and or is are was were be been being by with as at from that this these
    those it its into about which who whom whose what when where why how do does did can could
    should would will shall may might must has have had not no yes than then there their they them
    he she his her i you we our your my me us so if but also just only more most some any all each s
    t vs via per many much such according now here there like very own same other
"""
_STOPWORDS_ZH = """
    的 了 是 在 和 与 及 或 也 都 就 而 并 等 中 对 从 为 以 于 上 下 个
    这 那 其 之 着 被 把 让 向 给 吗 呢 吧 啊 哪 哪些 什么 怎么 怎样 如何
    为什么 多少 几 谁 有 没有 一个 一 年 月 日 请 问 是否 哪个 哪一年 哪里
    什么样 会 能 可以 要 该 所 由 将 还 又 很 最 更 已 已经 我们 你们 他们
    它们 我 你 他 她 它
"""
STOPWORDS = frozenset(_STOPWORDS_EN.split()) | frozenset(_STOPWORDS_ZH.split())


@lru_cache(maxsize=1)
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)  # jieba prints its dictionary loading to stderr otherwise
    jieba.initialize()
    return jieba


def load_segmenter() -> None:
    """Load jieba's dictionary and tagger now (about a second) rather than on the first Chinese
    question; the Engine calls this when it starts."""
    import jieba.posseg

    _jieba()
    jieba.posseg.lcut("预热")


CJK_SHARE_FOR_CHINESE = 0.15  # mixed posts quote English terms a lot; 15% CJK letters makes them Chinese
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_chinese(text: str) -> bool:
    """The one language test for posts and questions: enough CJK among the letters."""
    letters = sum(ch.isalpha() for ch in text)
    return letters > 0 and len(_CJK_CHAR.findall(text)) / letters >= CJK_SHARE_FOR_CHINESE


# Bump when tokenization changes: indexes store tokens, and must be re-tokenized to match queries.
LEXICAL_VERSION = 3
_DOUBLED = re.compile(r"([b-df-hj-km-np-rtv-y])\1$")  # "runn" -> "run", but not "install", "pass"


def light_stem(word: str) -> str:
    """Fold English inflections so 'seats' meets 'seat' and 'installed' meets 'install'; deliberately
    light (a few suffixes, no Porter) so names and identifiers stay recognisable."""
    if not word.isalpha() or len(word) <= 3:
        return word
    for suffix, replacement, keep in (("ies", "y", 2), ("ied", "y", 2), ("ing", "", 4), ("ed", "", 4)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            return _tidy(word[: -len(suffix)] + replacement)
    if word.endswith("es") and word[:-2].endswith(("ss", "x", "z", "ch", "sh")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return _tidy(word)


def _tidy(stem: str) -> str:
    """Drop a final silent e and a doubled final consonant, so all forms share one stem."""
    if stem.endswith("e") and len(stem) >= 5:
        stem = stem[:-1]
    return _DOUBLED.sub(r"\1", stem) if len(stem) >= 4 else stem


def _identifier_tokens(word: str) -> list[str]:
    word = word.lower().rstrip(".")
    if word in STOPWORDS:
        return [word]
    word = light_stem(word)
    parts = [p for p in _PART_SPLIT.split(word) if p]
    if len(parts) <= 1:
        return [word]
    return [word] + _version_prefixes(word, parts) + [p for p in parts if p != word]


def _version_prefixes(word: str, parts: list[str]) -> list[str]:
    """'2.4.0' also yields '2.4', so "version 2.4" finds the post about 2.4.0."""
    if "." not in word or not all(p.isdigit() for p in parts[1:]) or len(parts) < 3:
        return []
    return [".".join(parts[:n]) for n in range(2, len(parts))]


def exact_identifiers(query: str) -> set[str]:
    """Identifiers in a query that a passage should contain whole, not only in parts: compounds
    with a digit ('AB-1234' -> 'ab-1234', 'v2.10', '2.4.0'), or any compound when the query is just
    that identifier ('foo-bar'). Tokens as `tokenize` writes them."""
    pieces = [m.group(0) for m in _TOKEN_OR_CJK.finditer(query)]
    found: set[str] = set()
    for piece in pieces:
        if _CJK_RUN.fullmatch(piece):
            continue
        whole = _identifier_tokens(piece)[0]
        compound = len([p for p in _PART_SPLIT.split(whole) if p]) > 1
        if compound and (len(pieces) == 1 or any(ch.isdigit() for ch in whole)):
            found.add(whole)
    return found


def _cjk_tokens(run: str) -> list[str]:
    jieba = _jieba()
    return [t for t in jieba.lcut_for_search(run) if t.strip()]  # type: ignore[attr-defined]


def tokenize(text: str, keep_stopwords: bool = False) -> list[str]:
    """Keyword tokens of `text` in reading order."""
    tokens: list[str] = []
    for match in _TOKEN_OR_CJK.finditer(text):
        piece = match.group(0)
        if _CJK_RUN.fullmatch(piece):
            tokens.extend(_cjk_tokens(piece))
        else:
            tokens.extend(_identifier_tokens(piece))
    if keep_stopwords:
        return tokens
    return [t for t in tokens if t not in STOPWORDS]


def content_terms(text: str) -> set[str]:
    """Distinct non-stopword tokens: what a question 'is about', for coverage checks."""
    return set(tokenize(text))
