"""ask(): rewrite -> retrieve -> generate -> verify -> Answer, with refusal and fallback to extractive.

Nothing here raises to the user for a generator failure: the extractive answer stands in, and the
`generator` field says so.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Generator as Generator_
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from rag.citations import SupportFn, Verified, answer_support, make_support, sentence_similarity, verify
from rag.config import Settings
from rag.embedders.base import Embedder
from rag.errors import InputError
from rag.generators.base import Generator, GeneratorContext, create_generator, is_no_answer
from rag.inputs import check_text
from rag.lexical import is_chinese
from rag.names import localise_names
from rag.retrieval import SearchFilters
from rag.rewrite import heuristic_rewrite
from rag.store import IndexData
from rag.types import Answer, Hit


class SearchEngine(Protocol):
    """What answering needs of the engine (rag.pipeline.Engine): its parts and its search."""

    settings: Settings
    index: IndexData
    embedder: Embedder

    def search(self, query: str, top_k: int | None = None, filters: SearchFilters | None = None) -> list[Hit]: ...


log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 2000
SENTENCE_CACHE_SIZE = 4096
Event = dict[str, Any]


def validate_question(question: str) -> str:
    question = check_text((question or "").strip(), "question")
    if not question:
        raise InputError("The question is empty.", "Ask something, e.g. 'What is this blog about?'")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(
            f"The question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}.",
            "Shorten it to the actual question.",
        )
    return question


def refusal_text(question: str) -> str:
    if is_chinese(question):
        return "这些文章没有提供回答这个问题所需的信息。以下是最接近的文章："
    return "The posts don't say. These are the closest posts:"


def closest_posts(hits: list[Hit], limit: int = 3) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for hit in hits:
        if hit.post.source not in seen and len(seen) < limit:
            seen[hit.post.source] = {k: v for k, v in hit.to_json().items() if k != "text"}
    return list(seen.values())


class Answerer:
    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self._generators: dict[str, Generator] = {}
        self._sentence_cache: dict[str, np.ndarray] = {}
        self._query_cache = lru_cache(maxsize=256)(engine.embedder.embed_query)
        self._df = Counter(t for tokens in engine.index.tokens for t in set(tokens))
        self._docs = max(len(engine.index.tokens), 1)

    def idf(self, term: str) -> float | None:
        df = self._df.get(term, 0)
        return None if df == 0 else math.log(1 + (self._docs - df + 0.5) / (df + 0.5))

    def generator(self, spec: str) -> Generator:
        if spec not in self._generators:
            context = GeneratorContext(
                self.engine.settings,
                self.idf,
                self._sentence_vectors,
                self._query_vector,
                self.engine.index.vectors,
                self._chunk_vector,
            )
            self._generators[spec] = create_generator(spec, context)
        return self._generators[spec]

    def _chunk_vector(self, chunk_id: str) -> np.ndarray | None:
        row = self.engine.index.row_of(chunk_id)
        return None if row is None else self.engine.index.vectors[row]

    def _query_vector(self, text: str) -> np.ndarray:
        return self._query_cache(text)

    def _sentence_vectors(self, texts: list[str]) -> np.ndarray:
        """Passage vectors with a bounded per-sentence cache: popular posts are asked about again."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._sentence_cache))
        if missing:
            for text, vector in zip(missing, self.engine.embedder.embed_passages(missing), strict=True):
                if len(self._sentence_cache) >= SENTENCE_CACHE_SIZE:
                    self._sentence_cache.pop(next(iter(self._sentence_cache)))
                self._sentence_cache[text] = vector
        return np.stack([self._sentence_cache[t] for t in texts])

    def rewrite(self, question: str, history: list[dict[str, str]] | None, generator: Generator) -> str:
        if not history:
            return question
        rewrite_with_llm = getattr(generator, "rewrite_query", None)
        if rewrite_with_llm is not None:
            try:
                rewritten = rewrite_with_llm(question, history)
                if rewritten:
                    return str(rewritten)
            except Exception as exc:  # noqa: BLE001 - a failed rewrite falls back to the heuristic
                log.warning("LLM query rewrite failed, using the heuristic: %s", exc)
        return heuristic_rewrite(question, history)

    def support(self, question: str, used: str) -> SupportFn:
        """How verification measures a cited source's support of a sentence of a `used` draft:
        lexically, judged on what the sentence adds to the question, and for a sentence in another
        language than its source by similarity to the source's closest sentence. Extractive drafts
        quote their sources, so similarity never rescues them."""
        dense = None if used.startswith("extractive") else sentence_similarity(self._sentence_vectors)
        return answer_support(question, make_support(dense, self.engine.embedder.dense_support))

    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        generator: str | None = None,
    ) -> Answer:
        answer: Answer | None = None
        for event in self.stream(question, history, top_k, filters, generator):
            if event["event"] == "answer":
                answer = event["answer"]
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        generator: str | None = None,
    ) -> Iterator[Event]:
        """Events: meta, token*, answer (the verified Answer). The last draft wins over streamed tokens."""
        started = time.perf_counter()
        question = validate_question(question)
        spec = generator or self.engine.settings.generator
        backend = self.generator(spec)
        query = self.rewrite(question, history, backend)
        hits = self.engine.search(query, top_k, filters)
        localised = localise_names(query, [f"{h.post.title}\n{h.chunk.text}" for h in hits])
        if localised != query:  # a romanised name found in Chinese in the posts: search again with it
            query, hits = localised, self.engine.search(localised, top_k, filters)
        retrieved = time.perf_counter()
        yield {"event": "meta", "query": query, "hits": hits}
        draft, used = yield from self._draft(backend, spec, query, hits, history)
        generated = time.perf_counter()
        timings = {
            "retrieve": (retrieved - started) * 1000,
            "generate": (generated - retrieved) * 1000,
            "total": (generated - started) * 1000,
        }
        yield {"event": "answer", "answer": self._finish(question, query, draft, hits, used, timings)}

    def _draft(
        self, backend: Generator, spec: str, query: str, hits: list[Hit], history: list[dict[str, str]] | None
    ) -> Generator_[Event, None, tuple[str, str]]:
        """Stream the backend's draft; on any failure fall back to the extractive draft."""
        pieces: list[str] = []
        try:
            for piece in backend.stream(query, hits, history):
                pieces.append(piece)
                yield {"event": "token", "text": piece}
            draft = "".join(pieces)
            if not draft.strip():
                raise ValueError("empty answer")
            return draft, spec
        except Exception as exc:  # noqa: BLE001 - any backend failure must not reach the user
            if spec == "extractive":
                raise
            log.warning("generator %s failed, falling back to extractive: %s", spec, exc)
            draft = self.generator("extractive").generate(query, hits, history)
            yield {"event": "reset", "reason": f"{type(exc).__name__}: {exc}"}
            return draft, f"extractive (fallback: {spec} failed)"

    def _finish(
        self, question: str, query: str, draft: str, hits: list[Hit], used: str, timings: dict[str, float]
    ) -> Answer:
        verified = Verified("", [])
        if not is_no_answer(draft) and hits:
            verified = verify(draft, hits, self.support(f"{question}\n{query}", used))
        if not verified.citations:
            return Answer(refusal_text(question), [], True, query, used, timings, closest_posts(hits), hits)
        return Answer(verified.answer, verified.citations, False, query, used, timings, [], hits)
