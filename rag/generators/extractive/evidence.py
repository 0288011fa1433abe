"""From a question and its retrieved chunks to ranked, scored evidence: candidates, their
features, the embedded pool, and the question-level signals the refusal model reads. The fit
script runs exactly these steps, so what is fitted is what runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.generators.base import GeneratorContext
from rag.generators.extractive.calibration import Linear, Tuning
from rag.generators.extractive.candidates import Candidate, candidates_of
from rag.generators.extractive.features import (
    DenseProfile,
    dense_features,
    dense_profile,
    lexical_features,
    question_features,
)
from rag.generators.extractive.question import Question, analyse
from rag.lexical import is_chinese
from rag.types import Hit


@dataclass
class Evidence:
    """Everything one question's answer is decided from."""

    question: Question
    hits: list[Hit]
    candidates: list[Candidate]
    profile: DenseProfile
    cross_lingual: bool
    query_vector: np.ndarray | None = None

    def best(self) -> Candidate:
        return max(self.candidates, key=lambda c: c.score)

    def question_features(self, chosen: list[Candidate]) -> dict[str, float]:
        """The refusal model's inputs, given the passages that would be shown (best first)."""
        return question_features(self.question, chosen, self.candidates, self.hits, self.profile, self.cross_lingual)


def gather(question_text: str, hits: list[Hit], context: GeneratorContext) -> Evidence:
    """Candidates with their lexical features; no model needed yet."""
    question = analyse(question_text, context.idf, context.translate)
    query_vector = _query_vector(question_text, context)
    hit_vectors = [context.chunk_vector(h.chunk.chunk_id) if context.chunk_vector else None for h in hits]
    profile = dense_profile(query_vector, context.vectors, hit_vectors)
    cross = is_cross_lingual(question_text, hits)
    candidates = [c for i, hit in enumerate(hits) for c in candidates_of(hit, i)]
    lexical_features(question, candidates, hits, profile, cross)
    return Evidence(question, hits, candidates, profile, cross, query_vector)


def _query_vector(text: str, context: GeneratorContext) -> np.ndarray | None:
    if context.embed_query is None:
        return None
    return np.asarray(context.embed_query(text), dtype=np.float32).reshape(-1)


def score(evidence: Evidence, model: Linear) -> None:
    for cand in evidence.candidates:
        cand.score = model.logit(cand.features)


def embed_pool(evidence: Evidence, context: GeneratorContext, tuning: Tuning) -> None:
    """Embed the sentences of the best-scoring candidates (by the lexical ranker) and give every
    candidate its sentence similarity. Few sentences: embedding is the slow part of an answer."""
    size = tuning.dense_pool_cross_lingual if evidence.cross_lingual else tuning.dense_pool
    pool = _pool_sentences(evidence.candidates, size)
    sentence_z: dict[tuple[int, int], float] = {}
    if pool and context.embed_texts is not None and evidence.query_vector is not None:
        texts = [text for _, text in pool]
        vectors = np.asarray(context.embed_texts(texts), dtype=np.float32)
        sims = vectors @ evidence.query_vector
        sentence_z = {key: evidence.profile.z(float(s)) for (key, _), s in zip(pool, sims, strict=True)}
    floor = min(sentence_z.values(), default=0.0)
    dense_features(evidence.candidates, sentence_z, floor)
    pooled = {key for key, _ in pool}
    evidence.candidates = [c for c in evidence.candidates if (c.source_index, c.position) in pooled]


def _pool_sentences(candidates: list[Candidate], size: int) -> list[tuple[tuple[int, int], str]]:
    """The single sentences of the best candidates (a pair brings its first sentence), best first."""
    singles = {(c.source_index, c.position): c.text for c in candidates if c.sentences == 1}
    ranked = sorted(candidates, key=lambda c: -c.score)
    chosen: dict[tuple[int, int], str] = {}
    for cand in ranked:
        for pos in range(cand.position, cand.position + cand.sentences):
            key = (cand.source_index, pos)
            if key in singles and key not in chosen and len(chosen) < size:
                chosen[key] = singles[key]
        if len(chosen) >= size:
            break
    return list(chosen.items())


def is_cross_lingual(question: str, hits: list[Hit]) -> bool:
    """Question and posts in different languages (judged by the posts, not one chunk: a chunk of a
    Chinese post can be a table of English names)."""
    if not hits:
        return False
    chinese_posts = sum(hit.post.language == "zh" for hit in hits)
    return is_chinese(question) != (chinese_posts * 2 > len(hits))
