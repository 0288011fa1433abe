"""`rag eval` end to end through the CLI, on a fast hashing-embedder index of the bundled posts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from rag.cli import app
from rag.config import Settings
from rag.pipeline import ingest

SAMPLE = Path(__file__).resolve().parents[2] / "eval" / "questions" / "sample.jsonl"


@pytest.fixture()
def index(tmp_path: Path, sample_posts: Path) -> Path:
    target = tmp_path / "index"
    ingest(Settings(index_dir=target, posts=[sample_posts], embedder="hashing"))
    return target


@pytest.fixture()
def few_questions(tmp_path: Path) -> Path:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    picked = [line for line in lines if json.loads(line)["id"] in ("toc-seats", "ks-downloads", "wang-born")]
    path = tmp_path / "few.jsonl"
    path.write_text("\n".join(picked) + "\n", encoding="utf-8")
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, ["eval", *args], catch_exceptions=False)


def test_eval_json_and_report(index: Path, few_questions: Path, tmp_path: Path) -> None:
    report = tmp_path / "report"
    args = ("--index", str(index), "--embedder", "hashing", "--json", "--report", str(report))
    result = invoke(str(few_questions), *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["metrics"]["questions"] == 3 and data["metrics"]["unanswerable"] == 1
    assert 0.0 <= data["metrics"]["hit@5"] <= 1.0
    assert {q["id"] for q in data["questions"]} == {"toc-seats", "ks-downloads", "wang-born"}
    assert data["config"]["embedder"] == "hashing" and "compare" not in data
    saved = json.loads((report / "results.json").read_text(encoding="utf-8"))
    assert saved["metrics"] == data["metrics"]  # the report and --json come from the same run
    assert (report / "report.html").stat().st_size > 0 and (report / "ragas.jsonl").exists()


def test_eval_table_output(index: Path, few_questions: Path) -> None:
    result = invoke(str(few_questions), "--index", str(index), "--embedder", "hashing")
    assert result.exit_code == 0, result.output
    assert "answer_contains" in result.stdout and "hit@5" in result.stdout


def test_eval_compare_builds_its_own_index(index: Path, few_questions: Path) -> None:
    result = invoke(
        str(few_questions),
        "--index",
        str(index),
        "--embedder",
        "hashing",
        "--json",
        "--compare",
        "top_k=3,top_k=8",
        "--compare",
        "chunk_tokens=120",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    names = [run["name"] for run in data["compare"]]
    assert names == ["top_k=3", "top_k=8", "chunk_tokens=120"]
    assert [run["config"]["top_k"] for run in data["compare"]] == [3, 8, 5]
    compare_index = Path(f"{index}-compare-chunk_tokens-120")
    assert data["compare"][2]["config"]["index"] == str(compare_index)
    manifest = json.loads((compare_index / "current" / "manifest.json").read_text())
    assert manifest["chunker"]["target_tokens"] == 120
    assert all(len(q["retrieved"]) <= 3 for q in data["compare"][0]["questions"] if q["ranking_from"] == "answer")


def test_eval_errors_exit_with_a_fix(index: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "question": "x", "sources": [], "answer_contains": []}\n{"id": \n')
    result = invoke(str(broken), "--index", str(index), "--embedder", "hashing")
    stderr = " ".join(result.stderr.split())  # Rich wraps long lines
    assert result.exit_code == 2
    assert "broken.jsonl:2 is not valid JSON" in stderr and "Fix: Write one complete JSON object" in stderr
    result = invoke(str(SAMPLE), "--index", str(index), "--embedder", "hashing", "--compare", "colour=blue")
    assert result.exit_code == 2
    assert "unknown key 'colour'" in " ".join(result.stderr.split())


def test_eval_on_an_index_of_other_posts_is_one_clear_error(tmp_path: Path, fixture_posts: Path) -> None:
    other = tmp_path / "other-index"
    ingest(Settings(index_dir=other, posts=[fixture_posts], embedder="hashing"))
    result = invoke(str(SAMPLE), "--index", str(other), "--embedder", "hashing")
    stderr = " ".join(result.stderr.split())
    assert result.exit_code == 2, result.output
    assert f"The index {other}" in stderr and f"question set {SAMPLE} expects" in stderr
    assert "warning" not in result.stdout and "Fix:" in stderr
