"""The report's tables as plain rows of strings, rendered to Markdown and HTML by report.py.

Building them once means report.md and report.html always show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.evaluation.metrics import METRICS, QuestionScore, distinct_posts
from rag.evaluation.records import QuestionRecord
from rag.evaluation.runner import EvalRun

ANSWER_PREVIEW = 400  # characters of an answer shown in the failure table


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


def fmt(value: object, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def summary_table(runs: list[EvalRun]) -> Table:
    """Metrics down, configurations across; a delta column against the first run when comparing."""
    header = ["metric"] + [run.name for run in runs]
    if len(runs) > 1:
        header += [f"Δ {run.name}" for run in runs[1:]]
    rows = []
    for metric in ("questions", "answerable", "unanswerable", "passed", *METRICS):
        values = [run.summary.get(metric) for run in runs]
        row = [metric] + [fmt(v) for v in values]
        row += [_delta(values[0], v) for v in values[1:]]
        rows.append(row)
    note = "Δ = configuration minus the first one." if len(runs) > 1 else ""
    return Table("Summary", header, rows, note)


def _delta(base: object, value: object) -> str:
    if isinstance(base, int) and isinstance(value, int):
        return f"{value - base:+d}"
    if isinstance(base, int | float) and isinstance(value, int | float):
        return f"{value - base:+.3f}"
    return "—"


def kind_table(run: EvalRun) -> Table:
    kinds = list(run.by_kind)
    rows = [[metric] + [fmt(run.by_kind[k].get(metric)) for k in kinds] for metric in ("questions", *METRICS)]
    return Table(f"By kind — {run.name}", ["metric", *kinds], rows)


def latency_table(runs: list[EvalRun]) -> Table:
    rows = []
    for run in runs:
        for stage, spread in run.latency_ms.items():
            rows.append([run.name, stage] + [fmt(spread[k], 1) for k in ("p50", "p95", "mean", "max")])
            rows[-1].append(str(int(spread["n"])))
    header = ["config", "stage", "p50 ms", "p95 ms", "mean ms", "max ms", "n"]
    return Table("Latency per stage (Answer.timings_ms)", header, rows)


def comparison_table(runs: list[EvalRun]) -> Table:
    """Question by question, pass/fail under every configuration (only questions that differ)."""
    header = ["id", "kind", "question"] + [run.name for run in runs]
    rows = []
    for i, record in enumerate(runs[0].records):
        marks = [_mark(run.scores[i]) for run in runs]
        if len(set(marks)) > 1:
            rows.append([record.question.id, record.question.kind, record.question.question, *marks])
    note = "Only questions whose outcome differs between configurations are listed."
    return Table("Side by side", header, rows, note)


def _mark(score: QuestionScore) -> str:
    return "pass" if score.passed else "FAIL: " + "; ".join(score.failures)


def failure_table(run: EvalRun, limit: int = 5) -> Table:
    header = ["id", "question", "expected", "retrieved (top 5 posts)", "answer", "why it failed"]
    rows = [
        [r.question.id, r.question.question, _expected(r), _retrieved(r, limit), _answer(r), _why(s)]
        for r, s in zip(run.records, run.scores, strict=True)
        if not s.passed
    ]
    title = f"Failures — {run.name} ({len(rows)} of {len(run.records)} questions)"
    return Table(title, header, rows)


def _why(score: QuestionScore) -> str:
    return "\n".join(score.failures)


def _expected(record: QuestionRecord) -> str:
    q = record.question
    if not q.answerable:
        return "refusal (the posts cannot answer)"
    facts = ", ".join(q.answer_contains) or "(no facts listed)"
    return f"posts: {', '.join(q.sources)}\nfacts: {facts}"


def _retrieved(record: QuestionRecord, limit: int) -> str:
    posts = distinct_posts(record.ranking)[:limit]
    return "\n".join(f"{i}. {p}" for i, p in enumerate(posts, 1)) or "(nothing)"


def _answer(record: QuestionRecord) -> str:
    if record.error:
        return f"(error) {record.error}"
    text = " ".join(record.answer.split())
    prefix = "(refused) " if record.refused else ""
    cut = text if len(text) <= ANSWER_PREVIEW else text[:ANSWER_PREVIEW] + "…"
    return prefix + cut
