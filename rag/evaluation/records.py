"""What one evaluated question leaves behind: plain data that metrics, JSON and reports all read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rag.evaluation.questions import Question


@dataclass
class Passage:
    """A retrieved chunk, in rank order."""

    source: str
    chunk_id: str
    heading: str
    text: str
    score: float = 0.0


@dataclass
class Cited:
    """One citation of the answer; `support` is the text a cited sentence may lean on."""

    n: int
    source: str
    quote: str
    chunk_id: str = ""
    support: str = ""  # the quote plus the cited chunk's text when that chunk was among the hits


@dataclass
class QuestionRecord:
    question: Question
    retrieved: list[Passage] = field(default_factory=list)
    ranking_from: str = "answer"  # "answer": the answer's own hits; "search": a separate search
    answer: str = ""
    refused: bool = False
    citations: list[Cited] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    generator: str = ""
    error: str | None = None  # the engine failed on this question (message)
    unknown_sources: list[str] = field(default_factory=list)  # expected posts the index does not hold

    @property
    def ranking(self) -> list[str]:
        """Retrieved post sources in rank order (one entry per chunk, so posts may repeat)."""
        return [p.source for p in self.retrieved]

    def to_json(self) -> dict[str, Any]:
        q = self.question
        return {
            "id": q.id,
            "question": q.question,
            "kind": q.kind,
            "sources": q.sources,
            "answer_contains": q.answer_contains,
            "reference": q.reference,
            "retrieved": [{"source": p.source, "chunk_id": p.chunk_id, "score": p.score} for p in self.retrieved],
            "ranking_from": self.ranking_from,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [{"n": c.n, "source": c.source, "quote": c.quote} for c in self.citations],
            "timings_ms": self.timings_ms,
            "generator": self.generator,
            "error": self.error,
        }
