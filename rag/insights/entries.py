"""What the question log keeps: one answered question (`LoggedAnswer`) and a reader's vote on it
(`Feedback`). Plain records shared by the log's role (log.py) and its backends (sqlite.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from rag.errors import InputError
from rag.inputs import check_text
from rag.types import Answer

MAX_COMMENT_CHARS = 2000


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LoggedAnswer:
    """One answered question as the log keeps it: no IP address, no user agent, nothing about who asked."""

    answer_id: str
    question: str
    query: str  # what was searched (the rewritten follow-up)
    refused: bool
    sources: list[str]  # cited posts, in citation order, each once
    generator: str
    latency_ms: float
    ts: datetime = field(default_factory=utc_now)
    channel: str = "api"  # which front end asked: api, mcp, openai, ...

    @classmethod
    def of(cls, question: str, answer: Answer, channel: str = "api") -> LoggedAnswer:
        sources = list(dict.fromkeys(c.source for c in answer.citations))
        latency = float(answer.timings_ms.get("total", 0.0))
        values = (answer.answer_id, question, answer.query, answer.refused, sources, answer.generator, latency)
        return cls(*values, channel=channel)


@dataclass
class Feedback:
    """A reader's verdict on one answer; the latest vote on an answer replaces the earlier one."""

    answer_id: str
    helpful: bool
    comment: str | None = None
    ts: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        comment = check_text((self.comment or "").strip(), "feedback comment")
        if len(comment) > MAX_COMMENT_CHARS:
            raise InputError(
                f"The comment is {len(comment)} characters long; the limit is {MAX_COMMENT_CHARS}.",
                "Shorten it to what was wrong or missing in the answer.",
            )
        self.comment = comment or None
