from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rag.cli import app
from rag.errors import IndexMismatchError, IndexNotFoundError, InputError, NoPostsError

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


def test_unencodable_arguments_are_an_input_error_not_a_crash(tmp_path: Path, sample_posts: Path) -> None:
    # Python turns command-line bytes that are not UTF-8 into lone surrogates (surrogateescape).
    index = str(tmp_path / "idx")
    runner.invoke(app, ["ingest", str(sample_posts), "--index", index, "--embedder", "hashing"])
    for command in (["search", "caf\udce9"], ["ask", "\udcff\x00?"], ["search", "redis", "--tag", "t\udcff"]):
        result = runner.invoke(app, [*command, "--index", index, "--embedder", "hashing"])
        assert result.exit_code == InputError.exit_code, result.output
        assert "unpaired surrogate" in result.output or "NUL" in result.output
        assert "UTF-8" in result.output


def test_bad_date_filter_says_what_is_expected(tmp_path: Path, sample_posts: Path) -> None:
    index = str(tmp_path / "idx")
    runner.invoke(app, ["ingest", str(sample_posts), "--index", index, "--embedder", "hashing"])
    result = runner.invoke(app, ["search", "redis", "--after", "2024/01/01", "--index", index, "--embedder", "hashing"])
    assert result.exit_code == InputError.exit_code
    assert "YYYY-MM-DD" in result.output and "2024-03-01" in result.output


def test_ingest_of_a_missing_folder_says_it_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    result = runner.invoke(app, ["ingest", str(missing), "--index", str(tmp_path / "i"), "--embedder", "hashing"])
    assert result.exit_code == NoPostsError.exit_code
    assert f"{missing} does not exist" in " ".join(result.output.split())
    assert "No posts to index" not in result.output


def _posts_of(index: Path) -> set[str]:
    return set(json.loads((index / "current" / "manifest.json").read_text())["posts"])


@pytest.fixture()
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder (the default index is index/default there) with the hashing embedder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAG_INDEX_DIR", raising=False)
    monkeypatch.delenv("RAG_POSTS", raising=False)
    monkeypatch.setenv("RAG_EMBEDDER", "hashing")
    return tmp_path


def test_serve_posts_without_index_never_replaces_the_default_index(
    in_tmp: Path, sample_posts: Path, fixture_posts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.server

    served: list[Any] = []
    monkeypatch.setattr(api.server, "serve", lambda app, *args: served.append(app.state.settings))
    assert runner.invoke(app, ["ingest", str(sample_posts)]).exit_code == 0
    default = in_tmp / "index" / "default"
    before = _posts_of(default)
    result = runner.invoke(app, ["serve", "--posts", str(fixture_posts)])
    assert result.exit_code == 0, result.output
    assert _posts_of(default) == before  # the sample index is untouched
    own = served[0].index_dir
    assert own.parent == Path("index") and own != Path("index/default")
    assert "english-markdown.md" in _posts_of(own)
    # The same folder again reuses its own index; the default index is still served by default.
    assert runner.invoke(app, ["serve", "--posts", str(fixture_posts)]).exit_code == 0
    assert served[1].index_dir == own
    assert runner.invoke(app, ["serve"]).exit_code == 0
    assert served[2].index_dir == Path("index/default") and _posts_of(default) == before


def test_ingest_of_other_posts_into_the_unnamed_default_index_is_refused(
    in_tmp: Path, sample_posts: Path, fixture_posts: Path
) -> None:
    assert runner.invoke(app, ["ingest", str(sample_posts)]).exit_code == 0
    before = _posts_of(in_tmp / "index" / "default")
    result = runner.invoke(app, ["ingest", str(fixture_posts)])
    assert result.exit_code == IndexMismatchError.exit_code
    output = " ".join(result.output.split())
    assert "would remove its posts" in output and "--index index/posts-" in output
    assert _posts_of(in_tmp / "index" / "default") == before


def test_rebuild_fix_names_and_uses_the_recorded_posts(tmp_path: Path, fixture_posts: Path) -> None:
    index = str(tmp_path / "idx")
    assert runner.invoke(app, ["ingest", str(fixture_posts), "--index", index, "--embedder", "hashing"]).exit_code == 0
    before = _posts_of(Path(index))
    result = runner.invoke(app, ["search", "x", "--index", index, "--embedder", "hashing:64"])
    assert result.exit_code == IndexMismatchError.exit_code
    fix = " ".join(result.output.split())
    assert f"rag ingest {fixture_posts.resolve()} --rebuild --embedder hashing:64 --index {index}" in fix
    # The suggested command without its path still rebuilds from the recorded folder, never the bundled posts.
    result = runner.invoke(app, ["ingest", "--rebuild", "--index", index, "--embedder", "hashing:64", "--json"])
    assert result.exit_code == 0, result.output
    assert _posts_of(Path(index)) == before
    assert json.loads(result.stdout)["roots"] == [str(fixture_posts.resolve())]


def test_an_index_is_searched_with_its_own_embedder(
    tmp_path: Path, sample_posts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAG_EMBEDDER", raising=False)
    index = str(tmp_path / "idx")
    built = runner.invoke(app, ["ingest", str(sample_posts), "--index", index, "--embedder", "hashing:64"])
    assert built.exit_code == 0, built.output
    result = runner.invoke(app, ["search", "KubeSphere", "--index", index, "--json", "-k", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["source"]
    result = runner.invoke(app, ["ingest", "--index", index, "--json"])  # incremental, same embedder
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["embedded"] == 0


def _fail_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    import rag.store as store

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store.np, "save", no_space)


def test_ingest_on_a_full_disk_says_what_happened_and_cleans_up(
    tmp_path: Path, sample_posts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.errors import IndexWriteError

    index = tmp_path / "idx"
    _fail_writes(monkeypatch)
    result = runner.invoke(app, ["ingest", str(sample_posts), "--index", str(index), "--embedder", "hashing"])
    assert result.exit_code == IndexWriteError.exit_code, result.output
    assert not isinstance(result.exception, OSError)
    output = " ".join(result.output.split())
    assert "No space left on device" in output and "Fix: Free disk space" in output
    assert not [p for p in index.iterdir() if p.name.startswith("v-")]


def test_serve_keeps_serving_its_index_when_the_start_up_ingest_hits_a_full_disk(
    tmp_path: Path, sample_posts: Path, fixture_posts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.server

    served: list[Any] = []
    monkeypatch.setattr(api.server, "serve", lambda app, *args: served.append(app))
    monkeypatch.setenv("RAG_EMBEDDER", "hashing")
    index = tmp_path / "idx"
    assert runner.invoke(app, ["ingest", str(sample_posts), "--index", str(index)]).exit_code == 0
    before = _posts_of(index)
    _fail_writes(monkeypatch)
    result = runner.invoke(
        app, ["serve", "--index", str(index), "--posts", str(sample_posts), "--posts", str(fixture_posts)]
    )
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "No space left on device" in output and "as it is" in output
    holder = served[0].state.holder
    holder.load()
    assert holder.current is not None and set(holder.current.engine.index.posts) == before


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
