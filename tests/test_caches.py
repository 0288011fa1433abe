"""What the answer path keeps between questions: term rarity, vectors, generator instances."""

from __future__ import annotations

import numpy as np
import pytest

from rag import caches
from rag.caches import GeneratorPool, TermRarity, VectorCache
from rag.config import Settings
from rag.embedders.base import create_embedder
from rag.generators.base import GeneratorContext
from rag.pipeline import Engine, ingest


def test_rarer_terms_weigh_more_and_unknown_ones_are_none() -> None:
    rarity = TermRarity([["cache", "ttl"], ["cache"], ["cache", "redis"]], ["cache ttl", "cache", "cache redis"])
    common, rare = rarity.idf("cache"), rarity.idf("ttl")
    assert common is not None and rare is not None and rare > common
    assert rarity.idf("nowhere") is None


class CountingEmbedder:
    """The hashing embedder, counting the passages it is asked to embed."""

    def __init__(self) -> None:
        self.inner = create_embedder("hashing")
        self.embedded = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self.inner.embed_passages(texts)


@pytest.fixture()
def engine(hashing_settings: Settings) -> Engine:
    ingest(hashing_settings)
    return Engine(hashing_settings)


def test_sentence_vectors_are_embedded_once_and_the_cache_is_bounded(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = CountingEmbedder()
    cache = VectorCache(embedder, engine.index)  # type: ignore[arg-type]
    first = cache.sentence_vectors(["a b", "c d", "a b"])
    assert first.shape[0] == 3 and embedder.embedded == 2
    cache.sentence_vectors(["c d"])
    assert embedder.embedded == 2
    monkeypatch.setattr(caches, "SENTENCE_CACHE_SIZE", 2)
    cache.sentence_vectors(["e f", "g h"])
    assert len(cache._sentences) == 2


def test_chunk_vectors_come_from_the_index(engine: Engine) -> None:
    cache = VectorCache(engine.embedder, engine.index)
    chunk = engine.index.chunks[3]
    vector = cache.chunk_vector(chunk.chunk_id)
    assert vector is not None and np.array_equal(vector, engine.index.vectors[3])
    assert cache.chunk_vector("no/such.md#0") is None and cache.similarity("x", "no/such.md#0") == 0.0
    assert cache.similarity(chunk.embed_text, chunk.chunk_id) > cache.similarity("zzz qqq", chunk.chunk_id)


def test_the_engine_hands_the_generators_the_index_vectors(engine: Engine) -> None:
    pool = engine.answerer.generators
    assert isinstance(pool, GeneratorPool)
    context = pool.context
    assert context.vectors is engine.index.vectors and context.chunk_vector is not None
    chunk = engine.index.chunks[0]
    assert np.array_equal(context.chunk_vector(chunk.chunk_id), engine.index.vectors[0])


def test_one_generator_instance_per_spec() -> None:
    pool = GeneratorPool(GeneratorContext(Settings()), default="scripted:fixed [1]")
    assert pool.get() is pool.get("scripted:fixed [1]")
    assert pool.get("extractive") is pool.get("extractive") and pool.get("extractive") is not pool.get()
