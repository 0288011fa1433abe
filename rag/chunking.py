"""Post -> Chunk[]: split at headings, then blocks, then sentences; pack to a token budget.

Every chunk is an exact slice `post.text[start:end]`, so a citation can point at the passage. Chunks
never cross a heading; code fences and table rows stay whole unless one alone exceeds the budget.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rag.sentences import HEADING
from rag.sentences import SENTENCE_END as _SENTENCE_END
from rag.tokens import count_tokens
from rag.types import Chunk, Post

_FENCE = re.compile(r"^(```|~~~)")
# What the embedder sees before a chunk's text: title and heading path, cut to this many characters
# (so every chunk's embed_text is bounded by its text plus this), and never split the text for it:
# only text that does not fit even behind MIN_PREFIX_CHARS of prefix is split.
MAX_PREFIX_CHARS = 300
MIN_PREFIX_CHARS = 60


@dataclass
class ChunkerSettings:
    target_tokens: int = 300
    overlap_tokens: int = 40
    encoding: str = "cl100k_base"


@dataclass
class _Span:
    start: int
    end: int
    tokens: int


@dataclass
class _Section:
    heading: str
    start: int
    end: int


def _sections(text: str) -> Iterator[_Section]:
    """Yield body ranges between headings, each with its heading path ("A > B")."""
    path: list[tuple[int, str]] = []
    start, offset, in_fence = 0, 0, False
    current = ""
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line.rstrip("\n"))
        if match:
            yield _Section(current, start, offset)
            level, title = len(match.group(1)), match.group(2).strip()
            path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, title)]
            current = " > ".join(t for _, t in path)
            start = offset + len(line)
        offset += len(line)
    yield _Section(current, start, offset)


def _blocks(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Paragraph-level blocks: blank-line separated, but a fenced code block is one block."""
    block_start: int | None = None
    in_fence = False
    offset = start
    for line in text[start:end].splitlines(keepends=True):
        stripped = line.strip()
        if _FENCE.match(stripped):
            in_fence = not in_fence
        if not stripped and not in_fence:
            if block_start is not None:
                yield block_start, offset
                block_start = None
        elif block_start is None:
            block_start = offset
        offset += len(line)
    if block_start is not None:
        yield block_start, end


def _introduces(text: str, span: _Span) -> bool:
    return text[span.start : span.end].rstrip().endswith((":", "："))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class TokenChunker:
    """The default Chunker: heading-aware, sentence-aware, tiktoken-sized."""

    def __init__(self, settings: ChunkerSettings | None = None) -> None:
        self.settings = settings or ChunkerSettings()

    def _count(self, text: str) -> int:
        return count_tokens(text, self.settings.encoding)

    def chunk(self, post: Post, fits: Callable[[str], bool] | None = None) -> list[Chunk]:
        """Chunk a post; `fits` (the embedder's input limit) forces further splits when needed."""
        chunks: list[Chunk] = []
        for section in _sections(post.text):
            for start, end in self._pack(post.text, self._units(post.text, section)):
                chunks.extend(self._make(post, section.heading, start, end, len(chunks), fits))
        for i, chunk in enumerate(chunks):
            chunk.ordinal, chunk.chunk_id = i, f"{post.source}#{i}"
        return chunks

    def _make(
        self, post: Post, heading: str, start: int, end: int, ordinal: int, fits: Callable[[str], bool] | None
    ) -> list[Chunk]:
        """One chunk, or several when the text (with a short prefix) exceeds the embedder's limit.

        Only the text decides a split; an over-long title or heading path is cut instead, so a
        600-word title never shreds the body into one-character chunks."""
        text = post.text[start:end]
        prefix = _capped_prefix(post.title, heading)
        embed_text = _joined(prefix, text)
        if fits is not None and not fits(embed_text):
            if end - start > 1 and not fits(_joined(prefix[:MIN_PREFIX_CHARS], text)):
                middle = self._split_point(post.text, start, end)
                return self._make(post, heading, start, middle, ordinal, fits) + self._make(
                    post, heading, middle, end, ordinal, fits
                )
            embed_text = _joined(_fitting_prefix(prefix, text, fits), text)
        return [Chunk(f"{post.source}#{ordinal}", post.source, ordinal, text, heading, start, end, embed_text)]

    @staticmethod
    def _split_point(text: str, start: int, end: int) -> int:
        """Split near the middle, preferring a sentence or line end."""
        middle = (start + end) // 2
        for match in _SENTENCE_END.finditer(text, middle, end):
            if match.end() < end:
                return match.end()
        newline = text.find("\n", middle, end)
        return newline + 1 if 0 <= newline < end - 1 else middle

    def _units(self, text: str, section: _Section) -> list[_Span]:
        """Blocks that fit the budget, else their rows (tables/code) or sentences, else hard splits."""
        units: list[_Span] = []
        for start, end in _blocks(text, section.start, section.end):
            start, end = _trimmed(text, start, end)
            if start >= end:
                continue
            tokens = self._count(text[start:end])
            if tokens <= self.settings.target_tokens:
                units.append(_Span(start, end, tokens))
            else:
                units.extend(self._split_block(text, start, end))
        return units

    def _split_block(self, text: str, start: int, end: int) -> list[_Span]:
        block = text[start:end]
        is_rows = block.lstrip().startswith(("|", "```", "~~~")) or block.count("\n") > 3
        pattern = re.compile(r"[^\n]*\n?") if is_rows else _SENTENCE_PIECES
        spans: list[_Span] = []
        for match in pattern.finditer(text, start, end):
            s, e = _trimmed(text, match.start(), match.end())
            if s < e:
                spans.extend(self._hard_split(text, s, e))
        return spans

    def _hard_split(self, text: str, start: int, end: int) -> list[_Span]:
        """Last resort for a single sentence longer than the budget: cut by characters."""
        tokens = self._count(text[start:end])
        if tokens <= self.settings.target_tokens:
            return [_Span(start, end, tokens)]
        pieces = -(-tokens // self.settings.target_tokens)
        step = -(-(end - start) // pieces)
        return [
            _Span(s, min(s + step, end), self._count(text[s : min(s + step, end)])) for s in range(start, end, step)
        ]

    def _pack(self, text: str, units: list[_Span]) -> Iterator[tuple[int, int]]:
        """Greedy packing with overlap: the tail units of a chunk start the next one."""
        budget, overlap = self.settings.target_tokens, self.settings.overlap_tokens
        current: list[_Span] = []
        for unit in units:
            if current and sum(u.tokens for u in current) + unit.tokens > budget:
                # A line that introduces a list ("…projects:") goes with its list, not before a cut.
                intro = current.pop() if len(current) > 1 and _introduces(text, current[-1]) else None
                yield current[0].start, current[-1].end
                current = [intro] if intro else self._overlap_tail(current, overlap, budget - unit.tokens)
            current.append(unit)
        if current:
            yield current[0].start, current[-1].end

    @staticmethod
    def _overlap_tail(units: list[_Span], overlap: int, room: int) -> list[_Span]:
        tail: list[_Span] = []
        total = 0
        for unit in reversed(units):
            if total + unit.tokens > min(overlap, room):
                break
            tail.insert(0, unit)
            total += unit.tokens
        return tail


def _joined(prefix: str, text: str) -> str:
    return f"{prefix}\n{text}" if prefix else text


def _capped_prefix(title: str, heading: str) -> str:
    """Title and heading path as the embedder sees them before a chunk, at most MAX_PREFIX_CHARS."""
    prefix = "\n".join(part for part in (title, heading) if part)
    if len(prefix) <= MAX_PREFIX_CHARS:
        return prefix
    return prefix[: MAX_PREFIX_CHARS - 1].rstrip() + "…"


def _fitting_prefix(prefix: str, text: str, fits: Callable[[str], bool]) -> str:
    """The longest start of `prefix` that still fits before `text` (binary search; may be "")."""
    low, high = 0, len(prefix)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(_joined(prefix[:middle], text)):
            low = middle
        else:
            high = middle - 1
    return prefix[:low].rstrip()


_SENTENCE_PIECES = re.compile(rf"[\s\S]*?(?:{_SENTENCE_END.pattern}|$)")
