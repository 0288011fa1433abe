"""How an answer is compared with what a question expects: post names, facts and citation markers."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

# A sentence ends after Chinese or Latin end punctuation (Latin "." only before whitespace, so
# "v1.30" and "3.5" stay whole) or at a line break.
_SENTENCE_BREAK = re.compile(r"(?<=[。！？；!?;])|(?<=\.)\s+|\n+")
_MARKER = re.compile(r"\[(\d+(?:\s*[,，、]\s*\d+)*)\]")
_LEADING_MARKERS = re.compile(r"^\s*((?:\[\d+(?:\s*[,，、]\s*\d+)*\]\s*)+)")


def _parts(name: str) -> list[str]:
    return [p for p in name.replace("\\", "/").casefold().split("/") if p and p != "."]


def same_post(expected: str, actual: str) -> bool:
    """True when an expected post name denotes the retrieved/cited post `actual`.

    `expected` may carry fewer folders than `actual` ("a.md" ~ "2021/a.md"), more folders (the
    ingested folder's own name, "posts/a.md" ~ "a.md"), or drop the extension ("a" ~ "a.md").
    """
    wanted, got = _parts(expected), _parts(actual)
    if not wanted or not got:
        return False
    stemmed = got[:-1] + [PurePosixPath(got[-1]).stem]
    for candidate in (got, stemmed):
        n = min(len(wanted), len(candidate))
        if wanted[-n:] == candidate[-n:]:
            return True
    return False


def matches_any(expected: list[str], actual: str) -> bool:
    return any(same_post(e, actual) for e in expected)


def normalise_text(text: str) -> str:
    """Fold what should not make a fact differ: width (NFKC), case and all whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def contains_fact(answer: str, item: str) -> bool:
    """`item` is "fact" or "alt1|alt2|..."; any alternative found in the answer counts."""
    haystack = normalise_text(answer)
    alternatives = [normalise_text(a) for a in item.split("|")]
    return any(a and a in haystack for a in alternatives)


def missing_facts(answer: str, items: list[str]) -> list[str]:
    return [item for item in items if not contains_fact(answer, item)]


def split_sentences(answer: str) -> list[tuple[str, set[int]]]:
    """Sentences of an answer with the citation numbers attached to each.

    Markers written just after the end punctuation ("…。[1]") belong to the sentence before them.
    """
    pieces = [p for p in _SENTENCE_BREAK.split(answer) if p and p.strip()]
    sentences: list[tuple[str, set[int]]] = []
    for piece in pieces:
        leading = _LEADING_MARKERS.match(piece)
        if leading and sentences:
            sentences[-1][1].update(citation_numbers(leading.group(1)))
            piece = piece[leading.end() :]
        if piece.strip():
            text = re.sub(r"\s*" + _MARKER.pattern, "", piece).strip()
            sentences.append((text, citation_numbers(piece)))
    return [(text, numbers) for text, numbers in sentences if text]


def citation_numbers(text: str) -> set[int]:
    return {int(n) for group in _MARKER.findall(text) for n in re.split(r"\s*[,，、]\s*", group)}
