"""Building logged answers for the question-log and insights tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rag.insights.entries import LoggedAnswer
from rag.types import new_answer_id

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def entry(
    question: str = "What is X?",
    refused: bool = False,
    sources: list[str] | None = None,
    ts: datetime | None = None,
    latency_ms: float = 120.0,
    days_ago: float | None = None,
) -> LoggedAnswer:
    when = ts or (datetime.now(UTC) - timedelta(days=days_ago) if days_ago is not None else T0)
    return LoggedAnswer(
        new_answer_id(),
        question,
        question.lower(),
        refused,
        [] if refused else (sources or ["a.md"]),
        "extractive",
        latency_ms,
        when,
    )
