"""The Retriever role: dense (FAISS) + keyword (BM25) candidates fused by reciprocal rank fusion."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rag.embedders.base import Embedder
from rag.errors import InputError
from rag.inputs import check_day, check_text
from rag.lexical import exact_identifiers, tokenize
from rag.store import IndexData
from rag.types import Hit, Post


@dataclass
class SearchFilters:
    tags: list[str] = field(default_factory=list)  # a post matches if it has any of them
    after: str | None = None  # inclusive, YYYY-MM-DD
    before: str | None = None  # inclusive, YYYY-MM-DD

    def is_empty(self) -> bool:
        return not (self.tags or self.after or self.before)

    def matches(self, post: Post) -> bool:
        """Whether a post passes: any of the tags (case-insensitive), dated within the range (an
        undated post is before any `after` and after any `before`)."""
        wanted = {t.lower() for t in self.tags}
        return bool(
            (not wanted or wanted & {t.lower() for t in post.tags})
            and (not self.after or (post.date or "") >= self.after)
            and (not self.before or (post.date or "9999") <= self.before)
        )

    def check(self) -> None:
        """InputError (with an example) for a date that is not YYYY-MM-DD or a tag that is not text."""
        for tag in self.tags:
            check_text(tag, "tag filter")
        check_day(self.after, "'after'")
        check_day(self.before, "'before'")


@dataclass
class RetrievalSettings:
    candidates: int = 50
    rrf_k: int = 60
    per_post_cap: int = 2


class Retriever(Protocol):
    def search(self, query: str, top_k: int = 5, filters: SearchFilters | None = None) -> list[Hit]: ...


class HybridRetriever:
    def __init__(self, index: IndexData, embedder: Embedder, settings: RetrievalSettings | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()

    def search(self, query: str, top_k: int = 5, filters: SearchFilters | None = None) -> list[Hit]:
        if not query.strip():
            raise InputError("The search query is empty.", "Type a question or some keywords.")
        check_text(query, "search query")
        if filters is not None:
            filters.check()
        if not self.index.chunks:
            return []
        allowed = self._allowed_rows(filters)
        dense = self._dense(query, allowed)
        keyword = self._keyword(query, allowed)
        return self._fuse(dense, keyword, top_k, exact_identifiers(query))

    def _allowed_rows(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        ok_posts = {source for source, post in self.index.posts.items() if filters.matches(post)}
        return np.array([c.source in ok_posts for c in self.index.chunks], dtype=bool)

    def _dense(self, query: str, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        total = len(self.index.chunks)
        # With a filter, look deeper so enough allowed rows survive.
        depth = self.settings.candidates if allowed is None else min(total, self.settings.candidates * 20)
        vector = self.embedder.embed_query(query).astype(np.float32)[None, :]
        scores, rows = self.index.faiss_index.search(vector, min(depth, total))
        pairs = [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]
        if allowed is not None:
            pairs = [(r, s) for r, s in pairs if allowed[r]]
        return pairs[: self.settings.candidates]

    def _keyword(self, query: str, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        tokens = tokenize(query)
        if not tokens or self.index.bm25 is None:
            return []
        scores = np.asarray(self.index.bm25.get_scores(tokens), dtype=np.float32)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        depth = min(self.settings.candidates, len(scores))
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]

    def _fuse(
        self, dense: list[tuple[int, float]], keyword: list[tuple[int, float]], top_k: int, exact: set[str]
    ) -> list[Hit]:
        k = self.settings.rrf_k
        fused: dict[int, float] = {}
        for ranked in (dense, keyword):
            for rank, (row, _) in enumerate(ranked):
                fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank + 1)
        self._boost_exact(fused, exact)
        dense_rank = {row: rank for rank, (row, _) in enumerate(dense)}
        dense_score = dict(dense)
        keyword_rank = {row: rank for rank, (row, _) in enumerate(keyword)}
        hits: list[Hit] = []
        per_post: dict[str, int] = {}
        for row in sorted(fused, key=lambda r: (-fused[r], r)):
            chunk = self.index.chunks[row]
            if per_post.get(chunk.source, 0) >= self.settings.per_post_cap:
                continue
            per_post[chunk.source] = per_post.get(chunk.source, 0) + 1
            post = self.index.posts[chunk.source]
            hits.append(Hit(chunk, post, fused[row], dense_rank.get(row), keyword_rank.get(row), dense_score.get(row)))
            if len(hits) >= top_k:
                break
        return hits

    def _boost_exact(self, fused: dict[int, float], exact: set[str]) -> None:
        """A passage holding a query identifier whole ('AB-1234') outranks every passage holding only
        its parts ('1234'): each identifier found adds more than any rank in both lists can give."""
        if not exact:
            return
        bonus = 2.0 / (self.settings.rrf_k + 1)
        for row in fused:
            fused[row] += bonus * len(exact.intersection(self.index.tokens[row]))
