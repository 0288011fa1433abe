"""The owner's view of the question log: volume per day, refusal and helpful rates, latency, the
most-cited posts and the coverage gaps. `build_insights` is pure: rows in, an `Insights` out."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from rag.errors import InputError
from rag.insights.entries import Feedback, LoggedAnswer
from rag.insights.gaps import GapFinder, GapQuestion, GapTopic
from rag.types import Post

SINCE_HINT = "Use a span like 30d, 12h or 2w, a day like 2026-11-01, or 'all'."
_SPAN = re.compile(r"^(\d+)\s*([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_since(text: str, now: datetime) -> datetime | None:
    """'30d' / '12h' / '2w' before `now`, a day 'YYYY-MM-DD' (UTC midnight), or 'all' (None)."""
    value = text.strip().lower()
    if value in ("all", ""):
        return None
    span = _SPAN.match(value)
    if span:
        return now - int(span.group(1)) * _UNITS[span.group(2)]
    try:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    except ValueError:
        raise InputError(f"--since {text!r} is not a time span or a day.", SINCE_HINT) from None


@dataclass
class Insights:
    """Everything `rag insights` prints and /admin/insights shows; `to_json` is their JSON."""

    since: datetime | None
    until: datetime
    questions: int
    refused: int
    feedback: int
    helpful: int
    latency_ms: dict[str, float | None]
    per_day: list[dict[str, Any]]  # {"day", "questions", "refused"} for every day, zeros included
    most_cited: list[dict[str, Any]]  # {"source", "title", "url", "citations"}
    gaps: list[GapTopic] = field(default_factory=list)
    gaps_note: str = ""  # why there are no gaps to show, when there are none

    @property
    def refusal_rate(self) -> float | None:
        return self.refused / self.questions if self.questions else None

    @property
    def helpful_rate(self) -> float | None:
        return self.helpful / self.feedback if self.feedback else None

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat(),
            "questions": self.questions,
            "refused": self.refused,
            "refusal_rate": _round(self.refusal_rate),
            "feedback": self.feedback,
            "helpful": self.helpful,
            "helpful_rate": _round(self.helpful_rate),
            "latency_ms": self.latency_ms,
            "per_day": self.per_day,
            "most_cited": self.most_cited,
            "gaps": [topic.to_json() for topic in self.gaps],
            "gaps_note": self.gaps_note,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def build_insights(
    entries: list[LoggedAnswer],
    feedback: list[Feedback],
    since: datetime | None,
    now: datetime,
    posts: dict[str, Post] | None = None,
    gap_finder: GapFinder | None = None,
) -> Insights:
    """The insights over `entries` (already limited to `since`) and the feedback on them; `posts`
    (the index's) names the cited posts; without a `gap_finder` (no index) there are no gaps."""
    votes = {vote.answer_id: vote for vote in feedback}
    latencies = np.array([e.latency_ms for e in entries], dtype=np.float64)
    insights = Insights(
        since=since,
        until=now,
        questions=len(entries),
        refused=sum(e.refused for e in entries),
        feedback=len(votes),
        helpful=sum(v.helpful for v in votes.values()),
        latency_ms={
            "p50": round(float(np.percentile(latencies, 50)), 1) if len(latencies) else None,
            "p95": round(float(np.percentile(latencies, 95)), 1) if len(latencies) else None,
        },
        per_day=_per_day(entries, since, now),
        most_cited=_most_cited(entries, posts or {}),
    )
    unserved = [
        GapQuestion(e.question, e.refused, _unhelpful(votes, e.answer_id))
        for e in entries
        if e.refused or _unhelpful(votes, e.answer_id)
    ]
    if gap_finder is None:
        insights.gaps_note = "No index is loaded, so the unanswered questions were not grouped into topics."
    elif not unserved:
        insights.gaps_note = "No question was refused or rated unhelpful in this period."
    else:
        insights.gaps = gap_finder.find(unserved, [e.question for e in entries])
        if not insights.gaps:
            insights.gaps_note = f"No unanswered topic was asked at least {gap_finder.min_count} times."
    return insights


def _unhelpful(votes: dict[str, Feedback], answer_id: str) -> bool:
    vote = votes.get(answer_id)
    return vote is not None and not vote.helpful


def _per_day(entries: list[LoggedAnswer], since: datetime | None, now: datetime) -> list[dict[str, Any]]:
    days: Counter[date] = Counter(e.ts.astimezone(UTC).date() for e in entries)
    refused: Counter[date] = Counter(e.ts.astimezone(UTC).date() for e in entries if e.refused)
    if not days:
        return []
    first = since.astimezone(UTC).date() if since else min(days)
    first, last = min(first, min(days)), max(now.astimezone(UTC).date(), max(days))
    span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [{"day": d.isoformat(), "questions": days[d], "refused": refused[d]} for d in span]


def _most_cited(entries: list[LoggedAnswer], posts: dict[str, Post], limit: int = 10) -> list[dict[str, Any]]:
    cited: Counter[str] = Counter(source for e in entries for source in e.sources)
    rows = []
    for source, count in cited.most_common(limit):
        post = posts.get(source)
        title = post.title if post else source
        rows.append({"source": source, "title": title, "url": post.url if post else None, "citations": count})
    return rows
