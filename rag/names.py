"""Romanised Chinese names in English questions ("Li Ming", "Ming Li") matched to the
Chinese names in the posts (李明) by their pinyin, so English questions about Chinese posts can
name people. Uses pypinyin's offline dictionary."""

from __future__ import annotations

import re
from functools import lru_cache

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_LATIN_NAME = re.compile(r"\b[A-Z][a-z]+[\s\-]+[A-Z][a-z]+")
_SURNAME_FIRST_MAX = 4  # Chinese names are 2-4 characters


@lru_cache(maxsize=4096)
def _syllable(char: str) -> str:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0].lower()


def _romanisations(latin_name: str) -> set[str]:
    """'wang zefeng' -> {'wangzefeng', 'zefengwang'}: both name orders, spaces and hyphens dropped."""
    words = [w for w in re.split(r"[\s\-]+", latin_name.lower()) if w]
    if len(words) < 2:
        return set()
    return {"".join(words), "".join(words[1:] + words[:1])}


def chinese_name_for(latin_name: str, texts: list[str]) -> str | None:
    """The Chinese name in `texts` whose pinyin spells `latin_name`, if any."""
    targets = _romanisations(latin_name)
    if not targets:
        return None
    for text in texts:
        for run in _CJK_RUN.findall(text):
            found = _match_in_run(run, targets)
            if found:
                return found
    return None


def _match_in_run(run: str, targets: set[str]) -> str | None:
    syllables = [_syllable(ch) for ch in run]
    for length in range(2, _SURNAME_FIRST_MAX + 1):
        for start in range(0, len(run) - length + 1):
            if "".join(syllables[start : start + length]) in targets:
                return run[start : start + length]
    return None


def localise_names(question: str, texts: list[str]) -> str:
    """Put the posts' Chinese spelling in place of a romanised name: "Li Ming" -> "李明"."""
    for match in _LATIN_NAME.findall(question):
        chinese = chinese_name_for(match, texts)
        if chinese:
            question = question.replace(match, chinese)
    return question
