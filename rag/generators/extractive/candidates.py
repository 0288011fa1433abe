"""Answer candidates: the sentences of the retrieved chunks, and pairs of neighbouring sentences
(a subject and its fact often sit in adjacent sentences), minus what is no prose worth quoting."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from rag.lexical import tokenize
from rag.sentences import HEADING, LIST_MARK, SENTENCE_END, is_item, sentence_spans
from rag.types import Hit

NEAR_DUPLICATE = 0.75  # word-set Jaccard above which a sentence adds nothing new
MAX_PAIR_CHARS = 300
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")
# A line that opens with a symbol rather than a letter, digit, list mark or quote: image captions
# ("▲ …", "△ …", "图 …" markers are symbols), decorations, emoji bullets.
_DECORATED = re.compile(r"^[^\w\s#>*+\-|(（\"“'‘\[【《]")
HEADLINE_MAX_CHARS = 40  # an unpunctuated line this short, followed by more text, is a headline


@dataclass
class Candidate:
    """A passage that could be quoted as the answer, with where it sits and what it scored."""

    source_index: int  # 0-based position in the sources list
    start: int  # offsets in the chunk text
    end: int
    text: str
    position: int = 0  # sentence ordinal in the chunk
    sentences: int = 1  # 1 for a sentence, 2 for a pair
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0  # the ranker's log-odds that this passage holds the answer


def candidates_of(hit: Hit, index: int) -> list[Candidate]:
    """Every quotable sentence of the chunk, and every pair of neighbouring quotable sentences."""
    text = hit.chunk.text
    spans = [span for s, e in sentence_spans(text) for span in _unglue(text, s, e)]
    useful = [_quotable(text[s:e]) for s, e in spans]
    singles = [
        Candidate(index, s, e, clean(text[s:e]), position=i)
        for i, ((s, e), ok) in enumerate(zip(spans, useful, strict=True))
        if ok
    ]
    pairs = [
        Candidate(index, a[0], b[1], clean(text[a[0] : b[1]]), position=i, sentences=2)
        for i, (a, b) in enumerate(zip(spans, spans[1:], strict=False))
        if useful[i] and useful[i + 1] and b[1] - a[0] < MAX_PAIR_CHARS
    ]
    return singles + pairs


def _unglue(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split off headings and headlines that the sentence splitter glued to the body below them
    (scraped pages put a title line right above its paragraph without punctuation)."""
    spans: list[tuple[int, int]] = []
    offset = start
    lines = text[start:end].split("\n")
    for i, line in enumerate(lines):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        if not line.strip():
            continue
        more = i + 1 < len(lines) and bool(lines[i + 1].strip())
        if HEADING.match(line.strip()) or (more and _headline(line)):
            spans.append((line_start, line_end))
            continue
        if spans and not _closed(text[spans[-1][0] : spans[-1][1]]) and not _is_heading_span(text, spans[-1]):
            spans[-1] = (spans[-1][0], line_end)
        else:
            spans.append((line_start, line_end))
    return spans


def _closed(sentence: str) -> bool:
    return bool(SENTENCE_END.search(sentence.rstrip()[-1:] or "")) or is_item(sentence)


def _is_heading_span(text: str, span: tuple[int, int]) -> bool:
    piece = text[span[0] : span[1]]
    return "\n" not in piece and (bool(HEADING.match(piece.strip())) or _headline(piece))


def _headline(line: str) -> bool:
    stripped = line.strip()
    introduces = stripped.endswith((":", "："))  # a short line that opens a list is prose
    short = 0 < len(stripped) <= HEADLINE_MAX_CHARS
    return short and not introduces and not is_item(stripped) and not _closed(stripped)


def _quotable(sentence: str) -> bool:
    """Prose worth quoting: not a heading or headline, caption, table rule or piece of code."""
    stripped = sentence.strip()
    core = stripped.strip(" |-:*#>")
    if len(core) < 6 or set(core) <= set("-|: ") or "```" in sentence:
        return False
    if HEADING.match(stripped) or _DECORATED.match(stripped):
        return False
    return "\n" in stripped or not _headline(stripped) or is_item(stripped)


def clean(sentence: str) -> str:
    """List marks dropped and lines joined: how a passage reads inside an answer."""
    lines = [LIST_MARK.sub("", line).strip() for line in sentence.splitlines()]
    return " ".join(line for line in lines if line)


def with_list(cand: Candidate, hit: Hit, limit: int = 8) -> Candidate:
    """A sentence that introduces a list or a table (ends with a colon, or a table follows) is
    answered by the items or rows after it."""
    text = hit.chunk.text
    following = sentence_spans(text, cand.end)
    if not following or not _introduces(text[cand.start : cand.end], text[following[0][0] : following[0][1]]):
        return cand
    items: list[str] = []
    end = cand.end
    for start, stop in following:
        line = text[start:stop].strip()
        if len(items) >= limit or not is_item(line):
            break
        if not _TABLE_RULE.match(line):
            items.append(line if line.startswith("|") else "- " + clean(line))
        end = stop
    if not items:
        return cand
    return replace(cand, end=end, text=cand.text + "\n" + "\n".join(items))


def _introduces(candidate: str, next_line: str) -> bool:
    lines = [line.strip() for line in candidate.splitlines() if line.strip()]
    colon = any(line.endswith((":", "：")) for line in lines[-2:])
    return (colon and is_item(next_line)) or next_line.strip().startswith("|")


def _words(text: str) -> set[str]:
    """Word tokens without numbers: a release note repeats last release's sentence with a new version."""
    return {t for t in tokenize(text) if not any(ch.isdigit() for ch in t)}


def repeats(cand: Candidate, other: Candidate) -> bool:
    """Overlapping text, or (nearly) the same words: chunk overlap and reposted articles repeat
    sentences, sometimes with other punctuation or a changed word."""
    if cand.source_index == other.source_index and cand.start < other.end and other.start < cand.end:
        return True
    mine, theirs = _words(cand.text), _words(other.text)
    return mine <= theirs or len(mine & theirs) / max(len(mine | theirs), 1) >= NEAR_DUPLICATE
