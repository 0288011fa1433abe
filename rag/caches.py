"""What the answer path keeps between questions on one loaded index: query and sentence vectors,
term rarity, and generator instances. Built by the engine (rag.pipeline) and handed to the roles."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np

from rag.bilingual import cedict_bridge
from rag.config import Settings
from rag.embedders.base import Embedder
from rag.generators.base import Generator, GeneratorContext, create_generator
from rag.generators.extractive.question import document_frequencies, idf_from_counts
from rag.store import IndexData

QUERY_CACHE_SIZE = 256
SENTENCE_CACHE_SIZE = 4096


class TermRarity:
    """BM25-style idf of keyword tokens over the index's chunks."""

    def __init__(self, chunk_tokens: list[list[str]], chunk_texts: list[str]) -> None:
        # Counted once per loaded index (see document_frequencies for lone Chinese characters).
        self._df: Counter[str] = document_frequencies(chunk_tokens, chunk_texts)
        self._docs = max(len(chunk_tokens), 1)

    def idf(self, term: str) -> float | None:
        """Rarity of `term`; None when no chunk contains it at all."""
        df = self._df.get(term, 0)
        return None if df == 0 else idf_from_counts(df, self._docs)


class VectorCache:
    """Embeddings the answer path asks for again and again: questions, candidate sentences, chunks."""

    def __init__(self, embedder: Embedder, index: IndexData, sentence_cache_size: int | None = None) -> None:
        self.embedder = embedder
        self.index = index
        self._sentences: dict[str, np.ndarray] = {}
        self.sentence_cache_size = sentence_cache_size
        self._query = lru_cache(maxsize=QUERY_CACHE_SIZE)(embedder.embed_query)

    def query_vector(self, text: str) -> np.ndarray:
        return self._query(text)

    def sentence_vectors(self, texts: list[str]) -> np.ndarray:
        """Passage vectors with a bounded per-sentence cache: popular posts are asked about again."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._sentences))
        if missing:
            for text, vector in zip(missing, self.embedder.embed_passages(missing), strict=True):
                if len(self._sentences) >= (self.sentence_cache_size or SENTENCE_CACHE_SIZE):
                    self._sentences.pop(next(iter(self._sentences)))
                self._sentences[text] = vector
        return np.stack([self._sentences[t] for t in texts])

    def chunk_vector(self, chunk_id: str) -> np.ndarray | None:
        """The stored vector of one chunk; None for a chunk the index does not hold."""
        row = self.index.row_of(chunk_id)
        return None if row is None else self.index.vectors[row]

    def similarity(self, text: str, chunk_id: str) -> float:
        """Cosine of `text` (embedded as a query) and a stored chunk; 0 for an unknown chunk."""
        vector = self.chunk_vector(chunk_id)
        return 0.0 if vector is None else float(vector @ self.query_vector(text))


def generator_context(settings: Settings, rarity: TermRarity, vectors: VectorCache) -> GeneratorContext:
    """What every generator is built with over one index: its term rarity and its vector caches.
    The bilingual lexicon loads here (about a second, once per process), not on the first question."""
    cedict_bridge()
    index = vectors.index
    return GeneratorContext(
        settings,
        rarity.idf,
        vectors.sentence_vectors,
        vectors.query_vector,
        index.vectors,
        vectors.chunk_vector,
        translate=translate,
    )


def translate(term: str) -> tuple[str, ...]:
    """English <-> Chinese words for a term (rag.bilingual)."""
    return cedict_bridge().translations(term)


class GeneratorPool:
    """One generator instance per spec, all built with the same context; `default` when none is asked."""

    def __init__(self, context: GeneratorContext, default: str) -> None:
        self.context = context
        self.default = default
        self._built: dict[str, Generator] = {}

    def get(self, spec: str | None = None) -> Generator:
        spec = spec or self.default
        if spec not in self._built:
            self._built[spec] = create_generator(spec, self.context)
        return self._built[spec]
