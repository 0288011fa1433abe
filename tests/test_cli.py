from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app
from rag.errors import IndexMismatchError, IndexNotFoundError, InputError

runner = CliRunner()


def test_ingest_search_info_json(tmp_path: Path, sample_posts: Path) -> None:
    index = str(tmp_path / "idx")
    result = runner.invoke(app, ["ingest", str(sample_posts), "--index", index, "--embedder", "hashing", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["indexed"]) == 5 and report["chunks"] > 0

    args = ["search", "KubeSphere 社区", "--index", index, "--embedder", "hashing", "--json", "-k", "3"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    assert set(hits[0]) >= {"source", "title", "url", "date", "heading", "text", "score", "chunk_id"}
    assert hits[0]["source"] == "003_1b2938f7d4bfcfbf.txt"

    result = runner.invoke(app, ["info", "--index", index, "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["embedder"] == "hashing:256"


def test_ingest_summary_lists_skipped_files(tmp_path: Path, fixture_posts: Path) -> None:
    result = runner.invoke(app, ["ingest", str(fixture_posts), "--index", str(tmp_path / "i"), "--embedder", "hashing"])
    assert result.exit_code == 0, result.output
    assert "Ingest summary" in result.stdout and "skipped" in result.stdout


def test_missing_index_exit_code_and_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["search", "x", "--index", str(tmp_path / "none"), "--embedder", "hashing"])
    assert result.exit_code == IndexNotFoundError.exit_code
    assert "rag ingest" in result.output


def test_wrong_embedder_exit_code(tmp_path: Path, sample_posts: Path) -> None:
    index = str(tmp_path / "idx")
    runner.invoke(app, ["ingest", str(sample_posts), "--index", index, "--embedder", "hashing"])
    result = runner.invoke(app, ["search", "x", "--index", index, "--embedder", "hashing:64"])
    assert result.exit_code == IndexMismatchError.exit_code
    assert "--rebuild" in result.output


def test_environment_configures_and_flags_win(tmp_path: Path, sample_posts: Path, monkeypatch) -> None:
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("RAG_EMBEDDER", "hashing")
    result = runner.invoke(app, ["ingest", str(sample_posts)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "from-env" / "current").exists()
    result = runner.invoke(app, ["ingest", str(sample_posts), "--index", str(tmp_path / "flag")])
    assert (tmp_path / "flag" / "current").exists()


def test_serve_reindexes_when_the_index_is_missing_foreign_or_old(tmp_path: Path, sample_posts: Path) -> None:
    import json

    from rag.cli import _index_needs_ingest
    from rag.config import Settings
    from rag.pipeline import ingest

    settings = Settings(index_dir=tmp_path / "idx", posts=[sample_posts], embedder="hashing")
    assert "No index" in _index_needs_ingest(settings)
    ingest(settings)
    assert _index_needs_ingest(settings) == ""
    other = tmp_path / "other"
    other.mkdir()
    assert "other posts" in _index_needs_ingest(settings.with_overrides(posts=[other]))
    manifest_path = settings.index_dir / "current" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "lexical": 0}))
    assert "older version" in _index_needs_ingest(settings)


def test_ask_with_history_resolves_the_follow_up(tmp_path: Path, sample_posts: Path) -> None:
    index = str(tmp_path / "idx")
    runner.invoke(app, ["ingest", str(sample_posts), "--index", index, "--embedder", "hashing"])
    history = tmp_path / "history.json"
    turns = [{"role": "user", "content": "王泽锋是谁？"}, {"role": "assistant", "content": "华为云的专家。[1]"}]
    history.write_text(json.dumps(turns, ensure_ascii=False), encoding="utf-8")
    args = ["ask", "他获得了什么奖？", "--history", str(history), "--index", index, "--embedder", "hashing", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["query"] == "王泽锋获得了什么奖？"


def test_ask_without_history_refuses_an_unresolvable_follow_up(tmp_path: Path, sample_posts: Path) -> None:
    index = str(tmp_path / "idx")
    runner.invoke(app, ["ingest", str(sample_posts), "--index", index, "--embedder", "hashing"])
    result = runner.invoke(app, ["ask", "他获得了什么奖？", "--index", index, "--embedder", "hashing", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["refused"] is True


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Cannot read the history file"),
        ("[{", "not valid JSON"),
        ('{"role": "user", "content": "x"}', "not a list of turns"),
        ('[{"role": "system", "content": "x"}]', "role 'system'"),
        ('[{"role": "user"}]', "not a {role, content} object"),
        ('[{"role": "user", "content": 3}]', "no text content"),
    ],
)
def test_ask_with_a_bad_history_file_is_a_clear_error(tmp_path: Path, content: str | None, message: str) -> None:
    history = tmp_path / "history.json"
    if content is not None:
        history.write_text(content, encoding="utf-8")
    args = ["ask", "x?", "--history", str(history), "--index", str(tmp_path / "none"), "--embedder", "hashing"]
    result = runner.invoke(app, args)
    assert result.exit_code == InputError.exit_code
    assert message in result.output and "Fix:" in result.output
