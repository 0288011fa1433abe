"""Export a run in the column layout RAGAS reads: question, answer, contexts, ground_truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.evaluation.records import QuestionRecord
from rag.evaluation.runner import EvalRun

RAGAS_COLUMNS = ("question", "answer", "contexts", "ground_truth")
# What the posts "say" about a question they cannot answer; RAGAS needs a non-empty ground truth.
NO_ANSWER = "The posts do not answer this question."


def ground_truth(record: QuestionRecord) -> str:
    """The written reference if any, else the expected facts ("a|b" alternatives as "a / b")."""
    q = record.question
    if q.reference:
        return q.reference
    if q.answer_contains:
        return "; ".join(item.replace("|", " / ") for item in q.answer_contains)
    return NO_ANSWER if not q.answerable else ""


def ragas_rows(run: EvalRun) -> list[dict[str, Any]]:
    return [
        {
            "question": r.question.question,
            "answer": r.answer,
            "contexts": [p.text for p in r.retrieved],
            "ground_truth": ground_truth(r),
        }
        for r in run.records
    ]


def write_ragas(run: EvalRun, path: Path) -> Path:
    lines = [json.dumps(row, ensure_ascii=False) for row in ragas_rows(run)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
