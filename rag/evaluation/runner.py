"""Run a question set against an engine: one `QuestionRecord` per question, scored into an `EvalRun`.

The JSON output and the report are both rendered from the same `EvalRun`, so they cannot disagree.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from rag.answering import AskRequest
from rag.errors import InputError, RagError
from rag.evaluation.matching import same_post
from rag.evaluation.metrics import QuestionScore, latency, score_question, summarise, summarise_by_kind
from rag.evaluation.questions import Question
from rag.evaluation.records import Cited, Passage, QuestionRecord
from rag.types import Answer, Citation, Hit

SEARCH_DEPTH = 10  # nDCG@10 needs ten hits when the answer brings none of its own

# progress(done, total, question_id)
EvalProgress = Callable[[int, int, str], None]


class EngineLike(Protocol):
    """What the runner needs of `rag.pipeline.Engine` (tests pass small fakes)."""

    def search(self, query: str, top_k: int | None = None, filters: Any = None) -> list[Hit]: ...

    def ask(self, request: AskRequest) -> Answer: ...


@dataclass
class EvalRun:
    name: str
    config: dict[str, Any]
    records: list[QuestionRecord]
    scores: list[QuestionScore] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    by_kind: dict[str, dict[str, Any]] = field(default_factory=dict)
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_records(
        cls, name: str, config: dict[str, Any], records: list[QuestionRecord], seconds: float = 0.0
    ) -> EvalRun:
        scores = [score_question(r) for r in records]
        warnings = [
            f"question {r.question.id}: expected post {s!r} matches no indexed post"
            for r in records
            for s in r.unknown_sources
        ]
        return cls(
            name,
            config,
            records,
            scores,
            summarise(scores),
            summarise_by_kind(scores),
            latency(records),
            seconds,
            warnings,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "config": self.config,
            "metrics": _rounded(self.summary),
            "by_kind": {kind: _rounded(values) for kind, values in self.by_kind.items()},
            "latency_ms": {stage: _rounded(v) for stage, v in self.latency_ms.items()},
            "seconds": round(self.seconds, 3),
            "warnings": self.warnings,
            "questions": [_question_json(r, s) for r, s in zip(self.records, self.scores, strict=True)],
        }


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()}


def _question_json(record: QuestionRecord, score: QuestionScore) -> dict[str, Any]:
    data = record.to_json()
    data.update(metrics=_rounded(score.values), missing=score.missing, failures=score.failures)
    data["passed"] = score.passed
    return data


def run_eval(
    engine: EngineLike | Callable[[], EngineLike],
    questions: list[Question],
    *,
    name: str = "default",
    config: dict[str, Any] | None = None,
    generator: str | None = None,
    top_k: int | None = None,
    progress: EvalProgress | None = None,
) -> EvalRun:
    """Ask every question; `engine` may be an engine or a zero-argument factory for one."""
    started = time.perf_counter()
    live = _engine(engine)
    known = _known_sources(live)
    records = []
    for done, question in enumerate(questions, 1):
        records.append(evaluate_question(live, question, generator=generator, top_k=top_k, known=known))
        if progress is not None:
            progress(done, len(questions), question.id)
    return EvalRun.from_records(name, config or {}, records, time.perf_counter() - started)


def _engine(engine: EngineLike | Callable[[], EngineLike]) -> EngineLike:
    # A class is callable *and* has an `ask` attribute, so test for an instance, not for `ask`.
    if hasattr(engine, "ask") and not isinstance(engine, type):
        return engine  # type: ignore[return-value]
    return engine()  # type: ignore[operator]


def evaluate_question(
    engine: EngineLike,
    question: Question,
    generator: str | None = None,
    top_k: int | None = None,
    known: list[str] | None = None,
) -> QuestionRecord:
    record = QuestionRecord(question)
    if known:
        record.unknown_sources = [s for s in question.sources if not any(same_post(s, k) for k in known)]
    answer: Answer | None = None
    try:
        answer = engine.ask(AskRequest(question.question, k=top_k, generator=generator))
    except RagError as exc:  # one failing question (generator down, bad input) must not end the run
        record.error = exc.message
    hits = answer.hits if answer is not None else []
    if not hits:
        hits = _search(engine, question.question, record)
        record.ranking_from = "search"
    record.retrieved = [_passage(h) for h in hits]
    if answer is not None:
        _fill_answer(record, answer, hits, engine)
    return record


def _search(engine: EngineLike, query: str, record: QuestionRecord) -> list[Hit]:
    try:
        return engine.search(query, top_k=SEARCH_DEPTH)
    except RagError as exc:
        record.error = record.error or exc.message
        return []


def _passage(hit: Hit) -> Passage:
    return Passage(hit.post.source, hit.chunk.chunk_id, hit.chunk.heading, hit.chunk.text, float(hit.score))


def _fill_answer(record: QuestionRecord, answer: Answer, hits: list[Hit], engine: EngineLike) -> None:
    record.answer = answer.answer
    record.refused = answer.refused
    record.generator = answer.generator
    record.timings_ms = {k: float(v) for k, v in answer.timings_ms.items()}
    chunk_texts = {h.chunk.chunk_id: h.chunk.text for h in hits}
    record.citations = [_cited(c, chunk_texts, engine) for c in answer.citations]


def _cited(citation: Citation, chunk_texts: dict[str, str], engine: EngineLike) -> Cited:
    text = chunk_texts.get(citation.chunk_id) or _chunk_text(engine, citation.chunk_id)
    support = f"{citation.quote}\n{text}" if text else citation.quote
    return Cited(citation.n, citation.source, citation.quote, citation.chunk_id, support)


def _chunk_text(engine: EngineLike, chunk_id: str) -> str:
    """The cited chunk's text from the engine's index, when the engine has one (real Engine)."""
    index = getattr(engine, "index", None)
    if not chunk_id or index is None or not hasattr(index, "row_of"):
        return ""
    row = index.row_of(chunk_id)
    return index.chunks[row].text if row is not None else ""


def require_known_posts(engine: EngineLike, questions: list[Question], index: str, label: str) -> None:
    """One clear error when the index holds none of the posts the question set expects."""
    expected = sorted({s for q in questions for s in q.sources})
    known = _known_sources(engine)
    if not expected or any(same_post(s, k) for s in expected for k in known):
        return
    roots = getattr(getattr(engine, "index", None), "manifest", {}).get("roots", [])
    built = f" (it was built from {', '.join(roots)})" if roots else ""
    raise InputError(
        f"The index {index}{built} holds none of the {len(expected)} posts the question set {label} expects.",
        f"Evaluate the index of those posts: rag eval {label} --index DIR, after rag ingest POSTS_DIR --index DIR.",
    )


def _known_sources(engine: EngineLike) -> list[str]:
    posts = getattr(getattr(engine, "index", None), "posts", None)
    return sorted(posts) if isinstance(posts, dict) else []
