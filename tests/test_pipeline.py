"""ingest() end to end with the fast hashing embedder: incremental updates, deletions, mismatches."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import IndexMismatchError, IndexWriteError, NoPostsError
from rag.pipeline import Engine, ingest

HTML_TAG = r"<[a-zA-Z/][^>]*>"


def test_cold_ingest_indexes_every_sample_post(hashing_settings: Settings) -> None:
    report = ingest(hashing_settings)
    assert len(report.indexed) == 5 and not report.skipped
    assert report.chunks > 20 and report.embedded == report.chunks
    assert set(report.seconds) == {"load", "chunk", "embed", "index"}
    engine = Engine(hashing_settings)
    assert len(engine.index.posts) == 5 and len(engine.index.chunks) == report.chunks


def test_second_ingest_reuses_everything(hashing_settings: Settings) -> None:
    first = ingest(hashing_settings)
    second = ingest(hashing_settings)
    assert second.indexed == [] and len(second.unchanged) == 5
    assert second.embedded == 0 and second.reused == first.chunks


def test_changed_and_deleted_posts(hashing_settings: Settings, sample_posts: Path) -> None:
    ingest(hashing_settings)
    changed = sample_posts / "003_1b2938f7d4bfcfbf.txt"
    addition = "\n\n新增的一段：OpenELB 加入 CNCF 沙箱。\n"
    changed.write_text(changed.read_text(encoding="utf-8") + addition, encoding="utf-8")
    (sample_posts / "004_821f261b823a22f5.txt").unlink()
    report = ingest(hashing_settings)
    assert report.indexed == ["003_1b2938f7d4bfcfbf.txt"]
    assert report.removed == ["004_821f261b823a22f5.txt"]
    assert 0 < report.embedded < report.chunks  # only the changed post's new chunk texts
    engine = Engine(hashing_settings)
    assert "004_821f261b823a22f5.txt" not in engine.index.posts
    hits = engine.search("OpenELB 加入 CNCF 沙箱", 3)
    assert hits[0].post.source == "003_1b2938f7d4bfcfbf.txt"


def test_bad_posts_are_skipped_not_fatal(tmp_path: Path, fixture_posts: Path) -> None:
    settings = Settings(index_dir=tmp_path / "idx", posts=[fixture_posts], embedder="hashing")
    report = ingest(settings)
    assert report.indexed, "good fixture posts are indexed"
    reasons = {s.path: s.reason for s in report.skipped}
    assert any("empty" in r.lower() for r in reasons.values())
    assert any("binary" in r.lower() for r in reasons.values())


def test_no_posts_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    settings = Settings(index_dir=tmp_path / "idx", posts=[tmp_path / "empty"], embedder="hashing")
    with pytest.raises(NoPostsError, match="rag ingest"):
        ingest(settings)


def test_index_built_with_another_embedder(hashing_settings: Settings) -> None:
    ingest(hashing_settings)
    other = hashing_settings.with_overrides(embedder="hashing:64")
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        Engine(other)
    with pytest.raises(IndexMismatchError):
        ingest(other)
    report = ingest(other, rebuild=True)
    assert report.embedded == report.chunks
    assert Engine(other).embedder.dim == 64


def test_changed_chunk_size_rechunks_but_reuses_vectors(hashing_settings: Settings) -> None:
    ingest(hashing_settings)
    report = ingest(hashing_settings.with_overrides(chunk_tokens=200))
    assert len(report.indexed) == 5 and report.embedded > 0
    assert Engine(hashing_settings.with_overrides(chunk_tokens=200)).index.manifest["chunker"]["target_tokens"] == 200


def test_manifest_records_what_built_the_index(hashing_settings: Settings) -> None:
    ingest(hashing_settings)
    manifest = Engine(hashing_settings).index.manifest
    assert manifest["embedder"] == "hashing:256" and manifest["dimension"] == 256
    assert manifest["tokenizer"] == "cl100k_base" and manifest["faiss"] == "flat"
    assert len(manifest["posts"]) == 5 and all(len(h) == 64 for h in manifest["posts"].values())
    assert "faiss-cpu" in manifest["versions"]


def test_index_from_an_older_tokenizer_is_retokenized_without_re_embedding(hashing_settings: Settings) -> None:
    import json

    ingest(hashing_settings)
    manifest_path = hashing_settings.index_dir / "current" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["lexical"] = 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="rag ingest"):
        Engine(hashing_settings)
    report = ingest(hashing_settings)
    assert len(report.indexed) == 5 and report.embedded == 0
    assert Engine(hashing_settings).index.manifest["lexical"] >= 2


def test_engine_start_loads_the_chinese_segmenter(hashing_settings: Settings) -> None:
    # In a fresh process (this one has jieba loaded already): starting an Engine loads jieba, so the
    # first Chinese question does not wait a second or more for its dictionary.
    ingest(hashing_settings)
    script = (
        "import sys, jieba\n"
        "from rag.config import Settings\n"
        "from rag.pipeline import Engine\n"
        "assert not jieba.dt.initialized\n"
        f"Engine(Settings(index_dir={str(hashing_settings.index_dir)!r}, embedder='hashing'))\n"
        "print(jieba.dt.initialized, 'jieba.posseg' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


def test_ingest_with_nothing_changed_writes_no_new_version(hashing_settings: Settings) -> None:
    first = ingest(hashing_settings)
    link = hashing_settings.index_dir / "current"
    target = os.readlink(link)
    second = ingest(hashing_settings)
    assert second.index_path == first.index_path and os.readlink(link) == target
    assert [p.name for p in hashing_settings.index_dir.iterdir() if p.name.startswith("v-")] == [target]
    changed = ingest(hashing_settings.with_overrides(chunk_tokens=200))  # other settings do write
    assert changed.index_path != first.index_path


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_disk_full_or_read_only_is_a_clear_error_and_cleans_up(
    hashing_settings: Settings, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    import rag.store as store

    before = ingest(hashing_settings)

    def failing_save(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(store.np, "save", failing_save)
    with pytest.raises(IndexWriteError, match=os.strerror(code)) as caught:
        ingest(hashing_settings, rebuild=True)
    assert "--index" in caught.value.hint and "previous index" in caught.value.hint
    assert not [p for p in hashing_settings.index_dir.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.undo()
    assert len(Engine(hashing_settings).index.chunks) == before.chunks
