"""Small hand-made hits and contexts for the extractive answerer's unit tests."""

from __future__ import annotations

import math

from rag.types import Chunk, Hit, Post


def hit(text: str, source: str = "a.md", title: str = "A post", date: str | None = None, lang: str = "en") -> Hit:
    post = Post(source=source, title=title, text=text, date=date, language=lang)
    chunk = Chunk(chunk_id=f"{source}#0", source=source, ordinal=0, text=text, heading="", start=0, end=len(text))
    return Hit(chunk=chunk, post=post, score=1.0)


def idf_over(*documents: str):
    """An idf function over a tiny corpus, the way the answerer gets it from an index."""
    from rag.generators.extractive.question import idf_from_counts
    from rag.lexical import tokenize

    counts: dict[str, int] = {}
    for doc in documents:
        for term in set(tokenize(doc)):
            counts[term] = counts.get(term, 0) + 1

    def idf(term: str) -> float | None:
        return idf_from_counts(counts[term], len(documents)) if term in counts else None

    return idf


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
