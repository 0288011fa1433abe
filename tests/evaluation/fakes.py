"""Small stand-ins for the engine and records, built from the real rag.types objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rag.answering import AskRequest
from rag.errors import RagError
from rag.evaluation.questions import Question
from rag.evaluation.records import Cited, Passage, QuestionRecord
from rag.types import Answer, Chunk, Citation, Hit, Post


def make_hit(source: str, text: str = "some text", ordinal: int = 0, score: float = 1.0) -> Hit:
    chunk = Chunk(f"{source}#{ordinal}", source, ordinal, text, "Heading", 0, len(text), text)
    return Hit(chunk, Post(source=source, title=f"Title of {source}", text=text), score)


def make_citation(n: int, source: str, quote: str, ordinal: int = 0) -> Citation:
    return Citation(n, source, f"Title of {source}", None, None, "Heading", quote, f"{source}#{ordinal}")


def make_answer(
    text: str,
    citations: list[Citation] | None = None,
    hits: list[Hit] | None = None,
    refused: bool = False,
    timings: dict[str, float] | None = None,
) -> Answer:
    timings = timings if timings is not None else {"retrieve": 5.0, "generate": 20.0, "total": 25.0}
    return Answer(text, citations or [], refused, "q", "fake", timings, [], hits or [])


class FakeEngine:
    """Answers from a table keyed by question; records every call for assertions."""

    def __init__(self, answers: Mapping[str, Answer | RagError], search_hits: list[Hit] | None = None) -> None:
        self.answers = answers
        self.search_hits = search_hits or []
        self.asked: list[dict[str, Any]] = []
        self.searched: list[tuple[str, int | None]] = []

    def search(self, query: str, top_k: int | None = None, filters: Any = None) -> list[Hit]:
        self.searched.append((query, top_k))
        return self.search_hits[: top_k or 5]

    def ask(self, request: AskRequest) -> Answer:
        self.asked.append({"question": request.question, "top_k": request.k, "generator": request.generator})
        answer = self.answers[request.question]
        if isinstance(answer, RagError):
            raise answer
        return answer


def question(
    ident: str = "q1",
    sources: list[str] | None = None,
    facts: list[str] | None = None,
    kind: str = "factual",
    text: str | None = None,
) -> Question:
    return Question(
        ident,
        text or f"question {ident}?",
        sources if sources is not None else ["a.md"],
        facts if facts is not None else [],
        kind=kind,
    )


def record(
    q: Question,
    ranking: list[str] | None = None,
    answer: str = "",
    refused: bool = False,
    cited: list[tuple[int, str, str]] | None = None,
    timings: dict[str, float] | None = None,
) -> QuestionRecord:
    passages = [Passage(s, f"{s}#{i}", "", f"text {i}") for i, s in enumerate(ranking or [])]
    citations = [Cited(n, source, quote, support=quote) for n, source, quote in cited or []]
    return QuestionRecord(q, passages, "answer", answer, refused, citations, timings or {})
