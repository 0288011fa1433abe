"""Per-question and aggregate metrics: pure functions over `QuestionRecord`s.

Retrieval relevance is binary and at post level: a retrieved chunk is relevant when its post is one
of the question's `sources`; a post counts once, at its first (best) rank.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from rag.evaluation.matching import matches_any, missing_facts, same_post, split_sentences
from rag.evaluation.records import Cited, QuestionRecord
from rag.lexical import content_terms

# A cited sentence is "supported" when at least this share of its content terms (rag.lexical) occur
# in the text it cites. 0.5 lets an answer paraphrase or join quotes, while a sentence whose facts
# come from nowhere in the cited passage fails.
SUPPORT_THRESHOLD = 0.5

RETRIEVAL_METRICS = ("hit@1", "hit@5", "mrr", "ndcg@10", "all_sources@5")
ANSWER_METRICS = (
    "answer_contains",
    "citation_precision",
    "citation_recall",
    "refusal_accuracy",
    "false_refusal_rate",
    "faithfulness",
)
METRICS = RETRIEVAL_METRICS + ANSWER_METRICS


@dataclass
class QuestionScore:
    id: str
    kind: str
    answerable: bool
    values: dict[str, float | None]  # metric -> value; None where the metric does not apply
    missing: list[str] = field(default_factory=list)  # answer_contains items not found
    failures: list[str] = field(default_factory=list)  # human-readable reasons, for the report

    @property
    def passed(self) -> bool:
        return not self.failures


# --- retrieval -------------------------------------------------------------------------------


def distinct_posts(ranking: Iterable[str]) -> list[str]:
    """The ranking with repeated posts dropped (first occurrence kept)."""
    return list(dict.fromkeys(ranking))


def relevance(ranking: list[str], expected: list[str]) -> list[bool]:
    return [matches_any(expected, source) for source in distinct_posts(ranking)]


def hit_at(relevant: list[bool], k: int) -> float:
    return 1.0 if any(relevant[:k]) else 0.0


def reciprocal_rank(relevant: list[bool]) -> float:
    return next((1.0 / rank for rank, ok in enumerate(relevant, 1) if ok), 0.0)


def ndcg_at(relevant: list[bool], n_relevant: int, k: int) -> float:
    """Binary nDCG@k; the ideal ranking puts all `n_relevant` expected posts first."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank, ok in enumerate(relevant[:k], 1) if ok)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(n_relevant, k) + 1))
    return dcg / ideal if ideal else 0.0


def sources_found(ranking: list[str], expected: list[str], k: int) -> list[bool]:
    """For each expected post: is it among the first k distinct retrieved posts?"""
    top = distinct_posts(ranking)[:k]
    return [any(same_post(e, source) for source in top) for e in expected]


def retrieval_values(ranking: list[str], expected: list[str]) -> dict[str, float | None]:
    rel = relevance(ranking, expected)
    return {
        "hit@1": hit_at(rel, 1),
        "hit@5": hit_at(rel, 5),
        "mrr": reciprocal_rank(rel),
        "ndcg@10": ndcg_at(rel, len(set(expected)), 10),
        "all_sources@5": 1.0 if all(sources_found(ranking, expected, 5)) else 0.0,
    }


# --- answers ---------------------------------------------------------------------------------


def citation_precision(cited: list[str], expected: list[str]) -> float | None:
    """Share of distinct cited posts that are expected sources; None without citations."""
    posts = distinct_posts(cited)
    return sum(matches_any(expected, p) for p in posts) / len(posts) if posts else None


def citation_recall(cited: list[str], expected: list[str]) -> float | None:
    """Share of expected sources cited at least once; None when nothing is expected."""
    if not expected:
        return None
    return sum(any(same_post(e, c) for c in cited) for e in expected) / len(expected)


def sentence_supported(terms: set[str], numbers: set[int], citations: dict[int, Cited]) -> bool:
    cited = [citations[n] for n in numbers if n in citations]
    if not cited:
        return False
    support: set[str] = set()
    for citation in cited:
        support |= content_terms(citation.support or citation.quote)
    return len(terms & support) / len(terms) >= SUPPORT_THRESHOLD


def faithfulness(answer: str, citations: list[Cited]) -> float | None:
    """Share of answer sentences carrying a marker [n] whose cited text supports them.

    Sentences without content terms ("参考：", "In short:") are left out; None if none is left.
    """
    by_number = {c.n: c for c in citations}
    judged = [
        sentence_supported(terms, numbers, by_number)
        for text, numbers in split_sentences(answer)
        if (terms := content_terms(text))
    ]
    return sum(judged) / len(judged) if judged else None


def answer_values(record: QuestionRecord) -> tuple[dict[str, float | None], list[str]]:
    q = record.question
    answered = not record.refused and not record.error
    cited = [c.source for c in record.citations]
    missing = missing_facts(record.answer if answered else "", q.answer_contains)
    values: dict[str, float | None] = dict.fromkeys(ANSWER_METRICS)
    if q.answerable:
        values["answer_contains"] = None if not q.answer_contains else float(not missing)
        values["false_refusal_rate"] = float(record.refused)
        if answered:
            values["citation_precision"] = citation_precision(cited, q.sources)
            values["citation_recall"] = citation_recall(cited, q.sources)
    elif not record.error:
        values["refusal_accuracy"] = float(record.refused)
    if answered:
        values["faithfulness"] = faithfulness(record.answer, record.citations)
    return values, missing if q.answerable else []


# --- one question ----------------------------------------------------------------------------


def score_question(record: QuestionRecord) -> QuestionScore:
    q = record.question
    values: dict[str, float | None] = dict.fromkeys(RETRIEVAL_METRICS)
    if q.answerable:
        values.update(retrieval_values(record.ranking, q.sources))
    answer, missing = answer_values(record)
    values.update(answer)
    score = QuestionScore(q.id, q.kind, q.answerable, values, missing)
    score.failures = failure_reasons(record, missing)
    return score


def failure_reasons(record: QuestionRecord, missing: list[str]) -> list[str]:
    q = record.question
    reasons = [f"engine error: {record.error}"] if record.error else []
    reasons += [f"expected post not in the index: {s}" for s in record.unknown_sources]
    if not q.answerable:
        if not record.refused and not record.error:
            reasons.append("answered an unanswerable question")
        return reasons
    found = sources_found(record.ranking, q.sources, 5)
    reasons += [f"source not in top 5: {s}" for s, ok in zip(q.sources, found, strict=True) if not ok]
    if record.refused:
        return reasons + ["refused an answerable question"]
    reasons += [f"missing fact: {item}" for item in missing]
    cited = distinct_posts(c.source for c in record.citations)
    reasons += [f"cited a wrong post: {p}" for p in cited if not matches_any(q.sources, p)]
    return reasons


# --- aggregates ------------------------------------------------------------------------------


def mean_or_none(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def summarise(scores: list[QuestionScore]) -> dict[str, float | int | None]:
    """Each metric averaged over the questions it applies to, plus counts."""
    summary: dict[str, float | int | None] = {
        "questions": len(scores),
        "answerable": sum(s.answerable for s in scores),
        "unanswerable": sum(not s.answerable for s in scores),
        "passed": sum(s.passed for s in scores),
    }
    for metric in METRICS:
        summary[metric] = mean_or_none(s.values.get(metric) for s in scores)
    return summary


def summarise_by_kind(scores: list[QuestionScore]) -> dict[str, dict[str, float | int | None]]:
    kinds = sorted({s.kind for s in scores})
    return {kind: summarise([s for s in scores if s.kind == kind]) for kind in kinds}


def latency(records: list[QuestionRecord]) -> dict[str, dict[str, float]]:
    """p50/p95/mean/max in ms per stage of `Answer.timings_ms` (failed questions left out)."""
    stages: dict[str, list[float]] = {}
    for record in records:
        if record.error:
            continue
        for stage, ms in record.timings_ms.items():
            stages.setdefault(stage, []).append(float(ms))
    return {stage: _spread(values) for stage, values in stages.items()}


def _spread(values: list[float]) -> dict[str, float]:
    data = np.asarray(values, dtype=float)
    return {
        "p50": float(np.percentile(data, 50)),
        "p95": float(np.percentile(data, 95)),
        "mean": float(data.mean()),
        "max": float(data.max()),
        "n": float(len(data)),
    }
