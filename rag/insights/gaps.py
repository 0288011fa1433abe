"""Coverage gaps: the questions the posts did not answer (refused, or answered and rated 👎),
grouped into topics by their embeddings, each with a label, example questions and the closest posts.

Grouping is scikit-learn's agglomerative clustering (average linkage over cosine distances). Where
to cut the tree depends on the embedder — one model puts unrelated questions at cosine distance
0.2, another at 1.0 — so the cut is measured, not fixed: a fraction of the median distance between
a handful of unrelated everyday questions (REFERENCE_QUESTIONS) under the same embedder.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.answering import closest_posts
from rag.embedders.base import Embedder
from rag.lexical import tokenize
from rag.retrieval import Retriever

# Mutually unrelated questions, half Chinese: how far apart "nothing in common" is for an embedder.
REFERENCE_QUESTIONS = (
    "What time does the library open on Sundays?",
    "How do I remove a coffee stain from a shirt?",
    "Which planet is closest to the sun?",
    "How many players are on a volleyball team?",
    "What is a good name for a pet rabbit?",
    "How long should I boil an egg?",
    "Why do leaves change colour in autumn?",
    "Where is the nearest train station?",
    "How do I write a cover letter?",
    "明天会下雨吗？",
    "怎样学好书法？",
    "猫为什么喜欢纸箱？",
    "去机场怎么走最快？",
    "如何挑选西瓜？",
    "钢琴要练多久才能入门？",
    "为什么天空是蓝色的？",
    "怎么给自行车补胎？",
)
CUT_FRACTION = 0.65  # of the unrelated-question distance: on the dev checks 0.6-0.7 gave whole topics
MAX_QUESTIONS = 2000  # distinct gap questions clustered (most asked first): the distance matrix is n²
VECTOR_CACHE = 20_000


@dataclass
class GapQuestion:
    """A question the posts did not serve: refused, or answered and rated unhelpful."""

    text: str
    refused: bool
    unhelpful: bool = False


@dataclass
class GapTopic:
    """One topic readers asked about that the posts do not cover."""

    label: str  # the topic's most representative question
    terms: list[str]  # the words that set it apart from the rest of the log
    count: int  # times asked (duplicates included)
    refused: int
    unhelpful: int
    examples: list[str]  # distinct questions, most representative first
    closest: list[dict[str, Any]] = field(default_factory=list)  # the posts nearest to the label

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "terms": self.terms,
            "count": self.count,
            "refused": self.refused,
            "unhelpful": self.unhelpful,
            "examples": self.examples,
            "closest": self.closest,
        }


def normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


class GapFinder:
    """Groups gap questions into topics with one index's embedder and retriever; keeps the vectors
    of questions it has embedded, so a page asked for again embeds only new questions."""

    def __init__(
        self, embedder: Embedder, retriever: Retriever | None = None, min_count: int = 2, max_topics: int = 20
    ) -> None:
        self.embedder = embedder
        self.retriever = retriever
        self.min_count = min_count
        self.max_topics = max_topics
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        reference = self._embed(list(REFERENCE_QUESTIONS))
        distances = 1.0 - reference @ reference.T
        self.cut = CUT_FRACTION * float(np.median(distances[np.triu_indices(len(reference), 1)]))

    def _embed(self, texts: list[str]) -> np.ndarray:
        known = {t: self._vectors[t] for t in texts if t in self._vectors}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        for start in range(0, len(missing), 64):
            batch = missing[start : start + 64]
            known.update(zip(batch, self.embedder.embed_passages(batch), strict=True))
        if len(self._vectors) + len(missing) > VECTOR_CACHE:
            self._vectors.clear()  # rare: a log this varied is re-embedded, not kept without bound
        self._vectors.update((t, known[t]) for t in missing)
        return np.stack([known[t] for t in texts]).astype(np.float32)

    def find(self, questions: list[GapQuestion], all_questions: list[str] | None = None) -> list[GapTopic]:
        """Topics, most asked first; topics asked fewer than `min_count` times are left out.
        `all_questions` (every logged question) sets which words are common and so not telling."""
        with self._lock:  # one page at a time per finder: the vector cache is shared
            return self._find(questions, all_questions)

    def _find(self, questions: list[GapQuestion], all_questions: list[str] | None) -> list[GapTopic]:
        groups: dict[str, list[GapQuestion]] = {}
        for question in questions:
            groups.setdefault(normalised(question.text), []).append(question)
        keys = sorted(groups, key=lambda k: -len(groups[k]))[:MAX_QUESTIONS]
        if not keys:
            return []
        texts = [groups[k][0].text for k in keys]
        vectors = self._embed(texts)
        labels = self._cluster(vectors)
        idf = _idf(all_questions or [q.text for q in questions])
        topics = []
        for label in set(labels.tolist()):
            members = [i for i, lab in enumerate(labels) if lab == label]
            topic = self._topic(members, [groups[k] for k in keys], texts, vectors, idf)
            if topic.count >= self.min_count:
                topics.append(topic)
        topics.sort(key=lambda t: (-t.count, t.label))
        topics = topics[: self.max_topics]
        for topic in topics:
            topic.closest = self._closest(topic.label)
        return topics

    def _cluster(self, vectors: np.ndarray) -> np.ndarray:
        if len(vectors) == 1:
            return np.zeros(1, dtype=int)
        from sklearn.cluster import AgglomerativeClustering

        distances = np.clip(1.0 - vectors @ vectors.T, 0.0, None)
        model = AgglomerativeClustering(
            n_clusters=None, distance_threshold=self.cut, metric="precomputed", linkage="average"
        )
        return np.asarray(model.fit_predict(distances))

    def _topic(
        self,
        members: list[int],
        groups: list[list[GapQuestion]],
        texts: list[str],
        vectors: np.ndarray,
        idf: dict[str, float],
    ) -> GapTopic:
        weights = np.array([len(groups[i]) for i in members], dtype=np.float32)
        centroid = (vectors[members] * weights[:, None]).sum(axis=0)
        closeness = vectors[members] @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
        order = [members[j] for j in np.argsort(-closeness, kind="stable")]
        examples = self._distinct(order, vectors)
        # The label: of the near-copies of the most central question ("Hi, X?", "X?"), the most asked.
        near = [i for i in order if float(vectors[i] @ vectors[order[0]]) >= 1.0 - self.cut / 2]
        label = min(near, key=lambda i: (-len(groups[i]), len(texts[i])))
        examples = [label] + [i for i in examples if i != label]
        asked = [q for i in members for q in groups[i]]
        member_texts = [texts[i] for i in members]
        return GapTopic(
            label=texts[label],
            terms=_terms(member_texts, [len(groups[i]) for i in members], idf),
            count=len(asked),
            refused=sum(q.refused for q in asked),
            unhelpful=sum(q.unhelpful and not q.refused for q in asked),
            examples=[texts[i] for i in examples[:5]],
        )

    def _distinct(self, order: list[int], vectors: np.ndarray) -> list[int]:
        """Questions in `order`, leaving out near-copies of one already taken (a greeting added, a
        word changed): examples should show the different ways a topic is asked."""
        taken: list[int] = []
        for i in order:
            if all(float(vectors[i] @ vectors[j]) < 1.0 - self.cut / 2 for j in taken):
                taken.append(i)
        return taken

    def _closest(self, label: str, limit: int = 3) -> list[dict[str, Any]]:
        if self.retriever is None:
            return []
        closest = closest_posts(self.retriever.search(label, top_k=limit * 2), limit)
        return [{k: post[k] for k in ("source", "title", "url", "date", "heading", "score")} for post in closest]


def _idf(questions: list[str]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for question in questions:
        df.update(set(tokenize(question)))
    total = max(len(questions), 1)
    return {term: math.log((1 + total) / (1 + count)) + 1.0 for term, count in df.items()}


def _terms(texts: list[str], counts: list[int], idf: dict[str, float], limit: int = 5) -> list[str]:
    """The topic's telling words: frequent among its questions, rare in the whole log; shown as
    readers wrote them, not as the keyword index stems them."""
    tf: Counter[str] = Counter()
    for text, count in zip(texts, counts, strict=True):
        for term in set(tokenize(text)):
            tf[term] += count
    scored = sorted(tf, key=lambda t: (-tf[t] * idf.get(t, 1.0), t))
    return [_surface(term, texts) for term in scored[:limit]]


def _surface(term: str, texts: list[str]) -> str:
    """The commonest written word a stemmed keyword came from ('releas' -> 'releases');
    Chinese keywords are not stemmed, and a word there runs on into the next one, so they stay."""
    if not term.isascii():
        return term
    pattern = re.compile(rf"(?<!\w){re.escape(term)}\w*", re.IGNORECASE)
    words = Counter(match.lower() for text in texts for match in pattern.findall(text))
    return words.most_common(1)[0][0] if words else term
