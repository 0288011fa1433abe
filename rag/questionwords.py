"""A question's words and the part each can play in a follow-up: names, nouns, other content
words, numbers, pronouns (and whether they stand for a person), demonstratives and filler. Latin
words by rule, Chinese runs by jieba's part of speech. Words of the languages, never of a blog."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from rag.lexical import STOPWORDS, content_terms

_LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+#\-]*[A-Za-z0-9+#]|[A-Za-z0-9]")
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(f"{_LATIN.pattern}|{CJK_RUN.pattern}")
PRONOUN_EN = {
    "it": "", "they": "", "them": "", "he": "", "him": "", "she": "", "her": "",
    "its": "'s", "their": "'s", "his": "'s", "theirs": "'s", "hers": "'s",
}  # fmt: skip
_HUMAN_EN = frozenset(["he", "him", "his", "she", "her", "hers"])
_DEICTIC_EN = frozenset(["this", "that", "these", "those"])
PRONOUN_ZH = ("它们", "他们", "她们", "它", "他", "她")  # longest first
_HUMAN_ZH = ("他", "她")
_DEICTIC_ZH = ("这", "那", "该", "此", "其")
_ZH_FILLER_TAGS = ("r", "u", "p", "c", "x", "y", "e", "q", "d", "m")
_ZH_NAME_TAGS = ("nr", "ns", "nt", "nz")


@dataclass(frozen=True)
class Word:
    """One word of a question: where it is and what part it can play in a follow-up."""

    text: str
    start: int
    end: int
    kind: str  # "name", "noun", "content", "number", "pronoun", "deictic" or "filler"
    person: bool = False  # a person's name (Chinese), or a pronoun that stands for a person


def analyse(question: str) -> list[Word]:
    """The question's words in order: Latin words by rule, Chinese runs by jieba's part of speech."""
    return list(_analyse(question))


@lru_cache(maxsize=1024)
def _analyse(question: str) -> tuple[Word, ...]:
    words: list[Word] = []
    english = not CJK_RUN.search(question)  # Chinese questions have no sentence-initial capital
    for match in _WORD.finditer(question):
        if CJK_RUN.fullmatch(match.group(0)):
            words += chinese_words(match.group(0), match.start())
        else:
            words.append(_latin_word(match.group(0), match.start(), english and not words))
    return tuple(words)


def _latin_word(text: str, start: int, sentence_initial: bool) -> Word:
    """A capital that only starts an English question proves nothing ("Tell me about ..."); an
    inner capital ("ACME", "AcmeDB"), a digit, or a capital further in makes a name."""
    lower = text.lower()
    end = start + len(text)
    if lower in PRONOUN_EN:
        return Word(text, start, end, "pronoun", lower in _HUMAN_EN)
    if lower in _DEICTIC_EN:
        return Word(text, start, end, "deictic")
    if lower in STOPWORDS or not content_terms(text):
        return Word(text, start, end, "filler")
    if text.isdigit():  # a year or a count is what a follow-up changes, not what it is about
        return Word(text, start, end, "number")
    inner_capital = any(ch.isupper() for ch in text[1:])
    digit = any(ch.isdigit() for ch in text)
    name_like = inner_capital or digit or (text[0].isupper() and not sentence_initial)
    return Word(text, start, end, "name" if name_like else "content")


@lru_cache(maxsize=1)
def _posseg() -> object:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)  # jieba prints its dictionary loading to stderr otherwise
    jieba.initialize()
    return jieba.posseg


def chinese_words(run: str, offset: int) -> list[Word]:
    """The words of a run of Chinese text, `offset` being where the run starts in the question."""
    words: list[Word] = []
    position = offset
    for pair in _posseg().lcut(run):  # type: ignore[attr-defined]
        text, flag = pair.word, pair.flag
        words.append(_chinese_word(text, flag, position))
        position += len(text)
    return words


def _chinese_word(text: str, flag: str, start: int) -> Word:
    end = start + len(text)
    if flag.startswith("r"):
        if any(p in text for p in PRONOUN_ZH):
            return Word(text, start, end, "pronoun", any(p in text for p in _HUMAN_ZH))
        if text.startswith(_DEICTIC_ZH):
            return Word(text, start, end, "deictic")
        return Word(text, start, end, "filler")
    if text in STOPWORDS or flag.startswith(_ZH_FILLER_TAGS) or not content_terms(text):
        return Word(text, start, end, "filler")
    if flag.startswith(_ZH_NAME_TAGS):
        return Word(text, start, end, "name", flag.startswith("nr"))
    if flag.startswith("n") or flag == "vn":
        return Word(text, start, end, "noun")
    return Word(text, start, end, "content")
