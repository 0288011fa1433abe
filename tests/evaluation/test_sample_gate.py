"""CI gate: the sample question set on the bundled posts must stay above the floors in eval/floors.json.

The gate answers with the extractive models fitted *without* the sample corpus (the leave-one-out
fold), so it measures the answerer on questions it was not fitted on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.config import Settings
from rag.evaluation.questions import load_questions
from rag.evaluation.runner import EvalRun, run_eval
from rag.pipeline import Engine, ingest

ROOT = Path(__file__).resolve().parents[2]
GATE = json.loads((ROOT / "eval" / "floors.json").read_text(encoding="utf-8"))


def gate_generator(spec: str) -> str:
    """`extractive:<path>` paths in floors.json are relative to the repository root."""
    name, _, arg = spec.partition(":")
    return f"{name}:{ROOT / arg}" if name == "extractive" and arg else spec


def failures_text(run: EvalRun) -> str:
    lines = [f"  {s.id}: {'; '.join(s.failures)}" for s in run.scores if s.failures]
    return "\n".join(lines)


@pytest.mark.slow
def test_sample_set_stays_above_the_floors(tmp_path: Path, sample_posts: Path) -> None:
    settings = Settings(
        index_dir=tmp_path / "index",
        posts=[sample_posts],
        embedder=GATE["embedder"],
        generator=gate_generator(GATE["generator"]),
    )
    ingest(settings)
    questions = load_questions(ROOT / GATE["questions"])
    run = run_eval(Engine(settings), questions, generator=gate_generator(GATE["generator"]))
    measured = {metric: run.summary.get(metric) for metric in GATE["floors"]}
    below = {
        metric: f"{value} < {floor}"
        for metric, floor in GATE["floors"].items()
        if (value := measured[metric]) is None or value < floor
    }
    assert not below, f"below the floor: {below}\nmeasured: {measured}\nfailures:\n{failures_text(run)}"
