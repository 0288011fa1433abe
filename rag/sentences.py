"""The one sentence splitter: Chinese 。！？；… and English . ! ? endings, with character offsets;
and the line syntax of a cleaned post (headings, list items, table rows), which the loader writes
and the chunker and answerer read."""

from __future__ import annotations

import re

# A sentence ends at Chinese 。！？；… (plus closing quotes) or at . ! ? followed by whitespace.
SENTENCE_END = re.compile(r"(?:[。！？；!?]+|…+|\.(?=\s)|\.$)[”’」』\"')）]*\s*")
_PIECE = re.compile(rf"[\s\S]*?(?:{SENTENCE_END.pattern}|\n\s*\n|$)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
LIST_MARK = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+|>\s*)")


def is_item(line: str) -> bool:
    """A list item, quote line or table row: a unit of its own even without end punctuation."""
    return bool(LIST_MARK.match(line)) or line.lstrip().startswith("|")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in text[start:end], whitespace trimmed, in order."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for match in _PIECE.finditer(text, start, end):
        s, e = match.start(), match.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            spans.extend(_split_lines(text, s, e))
    return spans


def _split_lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """List items and table rows are sentences of their own even without end punctuation;
    a plain line continues the sentence above it (a paragraph wrapped over lines)."""
    spans: list[tuple[int, int]] = []
    offset = start
    for line in text[start:end].split("\n"):
        line_end = offset + len(line)
        if line.strip():
            s = offset + len(line) - len(line.lstrip())
            if spans and not is_item(line) and not text[spans[-1][0]].startswith("|"):
                spans[-1] = (spans[-1][0], line_end)
            else:
                spans.append((s, line_end))
        offset = line_end + 1
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]
