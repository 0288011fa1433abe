from __future__ import annotations

import re
import time

from rag.chunking import MAX_PREFIX_CHARS, ChunkerSettings, TokenChunker
from rag.tokens import count_tokens
from rag.types import Post

LONG_ZH = "云原生技术正在改变软件交付的方式。" * 60
LONG_EN = "Kubernetes schedules containers across a cluster of machines. " * 60
CODE = "```bash\nkubectl get pods\nkubectl describe pod web\n```"
TEXT = f"""Intro paragraph before any heading.

# Part One

{LONG_ZH}

## Details

{LONG_EN}

{CODE}

# Part Two

| name | seats |
| --- | --- |
| TOC | 11 |
"""


def make_post(text: str = TEXT) -> Post:
    return Post(source="a/post.md", title="Title", text=text)


def chunk(text: str = TEXT, target: int = 120, overlap: int = 20) -> list:
    return TokenChunker(ChunkerSettings(target, overlap)).chunk(make_post(text))


def test_every_chunk_is_an_exact_slice_of_the_post() -> None:
    for c in chunk():
        assert TEXT[c.start : c.end] == c.text
        assert c.text.strip() == c.text


def test_chunks_respect_the_token_budget() -> None:
    for c in chunk(target=120):
        assert count_tokens(c.text) <= 120


def test_heading_paths_and_no_heading_crossing() -> None:
    chunks = chunk()
    headings = [c.heading for c in chunks]
    assert headings[0] == ""
    assert "Part One" in headings
    assert "Part One > Details" in headings
    assert headings[-1] == "Part Two"
    for c in chunks:
        assert not re.search(r"^#", c.text, re.M)


def test_chinese_splits_at_sentence_ends() -> None:
    zh_chunks = [c for c in chunk() if c.heading == "Part One"]
    assert len(zh_chunks) > 1
    for c in zh_chunks:
        assert c.text.endswith("。")


def test_code_block_and_table_stay_whole() -> None:
    texts = [c.text for c in chunk()]
    assert any(CODE in t for t in texts)
    assert any("| TOC | 11 |" in t and "| name | seats |" in t for t in texts)


def test_overlap_repeats_the_tail_of_the_previous_chunk() -> None:
    zh_chunks = [c for c in chunk(overlap=40) if c.heading == "Part One"]
    first, second = zh_chunks[0], zh_chunks[1]
    assert second.start < first.end


def test_embed_text_is_prefixed_with_title_and_heading() -> None:
    c = [c for c in chunk() if c.heading == "Part One > Details"][0]
    assert c.embed_text.startswith("Title\nPart One > Details\n")


def test_ids_are_stable_and_ordered() -> None:
    chunks = chunk()
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[3].chunk_id == "a/post.md#3"
    assert [c.chunk_id for c in chunk()] == [c.chunk_id for c in chunks]


def test_fits_forces_smaller_chunks() -> None:
    chunks = TokenChunker(ChunkerSettings(300, 0)).chunk(make_post(), fits=lambda t: len(t) < 200)
    assert all(len(c.embed_text) < 200 for c in chunks)
    assert "".join(c.text for c in chunks).replace("\n", "") != ""


def test_a_sentence_without_punctuation_is_hard_split() -> None:
    text = "字" * 3000
    chunks = chunk(text, target=100, overlap=0)
    assert len(chunks) > 5
    assert all(count_tokens(c.text) <= 100 for c in chunks)
    assert sum(len(c.text) for c in chunks) == 3000


def test_empty_post_has_no_chunks() -> None:
    assert chunk("") == []


def _fits_512(text: str) -> bool:
    return count_tokens(text) <= 512


def test_a_title_over_the_embedder_limit_is_cut_and_never_splits_the_text() -> None:
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "cache", "server", "latency", "queue"]
    title = " ".join(words[i % len(words)] for i in range(600))  # ~600 tokens: over the limit alone
    body = "\n\n".join(f"Paragraph {i}: " + " ".join(words[(i + j) % 9] for j in range(80)) + "." for i in range(20))
    started = time.perf_counter()
    chunks = TokenChunker(ChunkerSettings(300, 40)).chunk(Post("p.md", title, body), fits=_fits_512)
    assert time.perf_counter() - started < 10
    short_title = TokenChunker(ChunkerSettings(300, 40)).chunk(Post("p.md", "Short", body), fits=_fits_512)
    assert [(c.start, c.end) for c in chunks] == [(c.start, c.end) for c in short_title]
    for c in chunks:
        assert _fits_512(c.embed_text) and c.embed_text.endswith(c.text)
        assert c.embed_text.startswith("alpha beta gamma") and len(c.embed_text) <= len(c.text) + MAX_PREFIX_CHARS + 1


def test_a_short_body_under_a_huge_title_stays_one_chunk() -> None:
    title = "word " * 3000
    chunks = TokenChunker().chunk(Post("p.md", title, "A short body of one sentence. " * 14), fits=_fits_512)
    assert len(chunks) == 1 and chunks[0].text.startswith("A short body")
