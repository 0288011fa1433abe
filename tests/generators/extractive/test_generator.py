"""The answerer's decision with a hand-made context: signals on an embedder's own similarity scale
count only under the embedder the models were fitted with."""

from __future__ import annotations

import numpy as np
import pytest

from rag.generators.base import GeneratorContext
from rag.generators.extractive import ExtractiveGenerator
from rag.generators.extractive.calibration import Calibration, Linear
from rag.generators.extractive.features import FULL, LEXICAL, QUESTION
from tests.generators.extractive.helpers import hit, idf_over

TEXT = "The scheduler places batch jobs on nodes. Queues share the cluster by weight."


def flat(names: tuple[str, ...], cosine_weight: float = 0.0) -> Linear:
    """A model that reads only the raw-cosine signal (weight `cosine_weight`) around mean 0.5."""
    coef = tuple(cosine_weight if n == "top_chunk_cosine" else 0.0 for n in names)
    mean = tuple(0.5 if n == "top_chunk_cosine" else 0.0 for n in names)
    return Linear(names, mean, (1.0,) * len(names), coef, 0.0)


def context(embedder: str) -> GeneratorContext:
    vector = np.ones(4, dtype=np.float32) / 2.0  # unit length: the chunk's cosine with the query is 1.0
    return GeneratorContext(
        idf=idf_over(TEXT, "other words entirely"),
        embed_texts=lambda texts: np.tile(vector, (len(texts), 1)),
        embed_query=lambda text: vector,
        vectors=np.stack([vector, -vector]),
        chunk_vector=lambda chunk_id: vector,
        embedder=embedder,
    )


@pytest.mark.parametrize(("embedder", "expected"), [("fitted-one", 1 / (1 + np.exp(-2.0))), ("another", 0.5)])
def test_the_raw_cosine_counts_only_under_the_embedder_it_was_fitted_with(embedder: str, expected: float) -> None:
    calibration = Calibration(flat(LEXICAL), flat(FULL), flat(QUESTION, 4.0), 0.1, embedder="fitted-one")
    decision = ExtractiveGenerator(context(embedder), calibration).decide("How are batch jobs scheduled?", [hit(TEXT)])
    # logit = 4 * (cosine 1.0 - mean 0.5) under the fitted embedder; the mean (logit 0) under another.
    assert decision.probability == pytest.approx(expected)


def test_raw_similarity_above_the_fitted_cap_counts_as_the_cap() -> None:
    calibration = Calibration(
        flat(LEXICAL), flat(FULL), flat(QUESTION, 4.0), 0.1, embedder="fitted-one", cosine_cap=0.75
    )
    decision = ExtractiveGenerator(context("fitted-one"), calibration).decide(
        "How are batch jobs scheduled?", [hit(TEXT)]
    )
    assert decision.probability == pytest.approx(1 / (1 + np.exp(-1.0)))  # 4 * (0.75 - 0.5), not 4 * (1.0 - 0.5)
