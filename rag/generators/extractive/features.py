"""The evidence signals, computed the same way on every blog: index-weighted coverage of the
question's terms, dense similarity relative to this query's own background over the index, where a
passage sits, and whether it has what the question's type asks for. Nothing here is a threshold:
the fitted models (calibration.py) weigh the signals."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from rag.generators.extractive.candidates import Candidate
from rag.generators.extractive.question import CJK, Question
from rag.generators.extractive.slots import slot_match
from rag.lexical import tokenize
from rag.types import Hit

_SEPARATORS = re.compile(r"[、，,；;]|\band\b|和|及|与")

LEXICAL = (
    "cov",
    "cov_ctx",
    "cov_rare",
    "cov_chunk",
    "cov_same_language",
    "rank",
    "chunk_dense",
    "first",
    "pair",
    "length",
    "type_match",
    "list_shape",
    "cross",
)
FULL = (*LEXICAL, "sent_dense", "sent_dense_rel")
QUESTION = (
    "best",
    "best_cov_ctx",
    "best_cov_rare",
    "top_cov_chunk",
    "unknown_share",
    "top_chunk_dense",
    "best_sent_dense",
    "best_type_match",
    "chosen_cov",
    "chosen_missing",
    "chosen_posts",
    "cross",
)


@dataclass
class DenseProfile:
    """Cosine of the query with each hit's chunk, and with the whole index (its background)."""

    hit_similarity: list[float]
    mean: float
    std: float

    def z(self, similarity: float) -> float:
        return (similarity - self.mean) / self.std


def dense_profile(
    query_vector: np.ndarray | None, vectors: np.ndarray | None, hit_vectors: list[np.ndarray | None]
) -> DenseProfile:
    """The background makes similarities comparable across embedders and blogs: e5 puts unrelated
    texts at 0.75, other models near 0; a z-score against the index itself means the same for both."""
    if query_vector is None or vectors is None or len(vectors) == 0:
        return DenseProfile([0.0] * len(hit_vectors), 0.0, 1.0)
    background = vectors @ query_vector
    std = float(background.std()) if len(background) > 1 else 0.0
    sims = [float(v @ query_vector) if v is not None else float(background.mean()) for v in hit_vectors]
    return DenseProfile(sims, float(background.mean()), max(std, 1e-3))


class Coverage:
    """Weighted share of the question's known terms found in a text (CJK terms as substrings,
    since segmentation differs between a question and a post; Latin terms as whole tokens). Terms
    no post contains cannot be covered by any passage; `unknown_share` accounts for them."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.total = question.known_weight or 1.0
        self.rarest = question.rarest()
        alternates = question.alternates or ((),) * len(question.terms)
        self.known = {t: (t, *alts) for t, k, alts in zip(question.terms, question.known, alternates, strict=True) if k}

    def found(self, text: str) -> set[str]:
        """The known terms `text` holds, itself or in one of its translations."""
        tokens = set(tokenize(text, keep_stopwords=True))
        lowered = text.lower()
        return {t for t, forms in self.known.items() if any(_holds(f, lowered, tokens) for f in forms)}

    def heaviest_missing(self, found: set[str]) -> float:
        """Weight of the heaviest known term not in `found`, as a share of the known weight."""
        q = self.question
        missing = [w for t, w, k in zip(q.terms, q.weights, q.known, strict=True) if k and t not in found]
        return max(missing, default=0.0) / self.total

    def share(self, found: set[str]) -> float:
        q = self.question
        return sum(w for t, w in zip(q.terms, q.weights, strict=True) if t in found) / self.total


def _holds(term: str, lowered: str, tokens: set[str]) -> bool:
    return term in lowered if CJK.search(term) else term in tokens


def lexical_features(
    question: Question, candidates: list[Candidate], hits: list[Hit], profile: DenseProfile, cross: bool
) -> None:
    """Fill each candidate's lexical features (everything but sentence-level similarity)."""
    coverage = Coverage(question)
    contexts = [coverage.found(f"{h.post.title}\n{h.chunk.heading}") for h in hits]
    chunks = [coverage.share(coverage.found(h.chunk.text) | ctx) for h, ctx in zip(hits, contexts, strict=True)]
    for cand in candidates:
        found = coverage.found(cand.text)
        with_context = found | contexts[cand.source_index]
        cov = coverage.share(found)
        f = cand.features
        f["cov"] = cov
        f["cov_ctx"] = coverage.share(with_context)
        f["cov_rare"] = float(coverage.rarest is not None and coverage.rarest in with_context)
        f["cov_chunk"] = chunks[cand.source_index]
        f["cov_same_language"] = cov * (not cross)
        f["rank"] = 1.0 / (1 + cand.source_index)
        f["chunk_dense"] = profile.z(profile.hit_similarity[cand.source_index])
        f["first"] = float(cand.position == 0)
        f["pair"] = float(cand.sentences == 2)
        f["length"] = math.log1p(len(cand.text)) / math.log(300)
        f["type_match"] = slot_match(question.answer_type, question.text, cand.text)
        f["list_shape"] = float(question.answer_type == "list" and len(_SEPARATORS.findall(cand.text)) >= 2)
        f["cross"] = float(cross)


def dense_features(candidates: list[Candidate], sentence_z: dict[tuple[int, int], float], floor: float) -> None:
    """Similarity of question and passage; a pair counts its better sentence. Passages outside the
    embedded pool get the pool's floor, so they never win on similarity they were not measured for."""
    best = max(sentence_z.values(), default=floor)
    for cand in candidates:
        values = [z for (i, pos), z in sentence_z.items() if i == cand.source_index and pos in _positions(cand)]
        value = max(values, default=floor)
        cand.features["sent_dense"] = value
        cand.features["sent_dense_rel"] = value - best


def _positions(cand: Candidate) -> range:
    return range(cand.position, cand.position + cand.sentences)


def question_features(
    question: Question,
    chosen: list[Candidate],
    candidates: list[Candidate],
    hits: list[Hit],
    profile: DenseProfile,
    cross: bool,
) -> dict[str, float]:
    """What the refusal decision sees: how good the best evidence is, how much of the question the
    passages to be shown cover together (a question about two things is answered by two passages),
    and how much of the question the index could answer at all."""
    best = chosen[0]
    f = best.features
    coverage = Coverage(question)
    context = {f"{hits[c.source_index].post.title}\n{hits[c.source_index].chunk.heading}" for c in chosen}
    together = set().union(*(coverage.found(c.text) for c in chosen), *(coverage.found(t) for t in context))
    return {
        "best": best.score,
        "best_cov_ctx": f["cov_ctx"],
        "best_cov_rare": f["cov_rare"],
        "top_cov_chunk": max(c.features["cov_chunk"] for c in candidates),
        # Words of another language are unknown to the index by nature, not a sign of a gap.
        "unknown_share": 0.0 if cross else question.unknown_share,
        "top_chunk_dense": max((profile.z(s) for s in profile.hit_similarity), default=0.0),
        "best_sent_dense": f.get("sent_dense", 0.0),
        "best_type_match": f["type_match"],
        "chosen_cov": coverage.share(together),
        # The heaviest known term the shown passages (and their titles) leave out: a paraphrase
        # misses many light words, a question the posts cannot answer misses the one that matters.
        "chosen_missing": coverage.heaviest_missing(together),
        "chosen_posts": float(len({hits[c.source_index].post.source for c in chosen})),
        "cross": float(cross),
    }
