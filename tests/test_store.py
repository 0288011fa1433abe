from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexNotFoundError
from rag.store import IndexData, build_faiss, index_exists, read_index, write_index
from rag.types import Chunk, Post


def tiny_index(n: int = 3, approximate_above: int = 1000) -> IndexData:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    posts = {"p.md": Post(source="p.md", title="P", text="x" * n, content_hash="h")}
    chunks = [Chunk(f"p.md#{i}", "p.md", i, "x", "", i, i + 1, "x") for i in range(n)]
    faiss_index, kind = build_faiss(vectors, approximate_above)
    manifest = {"format": 1, "embedder": "hashing:8", "faiss": kind}
    return IndexData(manifest, posts, chunks, vectors, [["x"]] * n, faiss_index, None)


def test_round_trip(tmp_path: Path) -> None:
    data = tiny_index()
    write_index(tmp_path, data)
    loaded = read_index(tmp_path)
    assert loaded.manifest == data.manifest
    assert loaded.chunks == data.chunks and loaded.posts == data.posts
    np.testing.assert_array_equal(loaded.vectors, data.vectors)
    assert loaded.faiss_index.ntotal == 3
    assert loaded.row_of("p.md#2") == 2


def test_second_write_replaces_and_cleans_up(tmp_path: Path) -> None:
    write_index(tmp_path, tiny_index(3))
    write_index(tmp_path, tiny_index(5))
    assert len(read_index(tmp_path).chunks) == 5
    versions = [p for p in tmp_path.iterdir() if p.name.startswith("v-")]
    assert len(versions) == 1


def test_half_written_version_is_ignored_and_removed(tmp_path: Path) -> None:
    write_index(tmp_path, tiny_index(3))
    stale = tmp_path / "v-crashed.tmp"
    stale.mkdir()
    (stale / "chunks.jsonl").write_text("garbage")
    assert len(read_index(tmp_path).chunks) == 3
    write_index(tmp_path, tiny_index(4))
    assert not stale.exists()


def test_missing_index_says_how_to_build(tmp_path: Path) -> None:
    assert not index_exists(tmp_path)
    with pytest.raises(IndexNotFoundError, match="rag ingest"):
        read_index(tmp_path)


def test_approximate_index_above_threshold() -> None:
    data = tiny_index(50, approximate_above=10)
    assert data.manifest["faiss"] == "hnsw"
    scores, rows = data.faiss_index.search(data.vectors[7:8], 1)
    assert rows[0][0] == 7


def test_current_is_a_symlink_swapped_atomically(tmp_path: Path) -> None:
    write_index(tmp_path, tiny_index(3))
    link = tmp_path / "current"
    assert link.is_symlink() and os.readlink(link).startswith("v-")


def test_relative_index_dir_keeps_its_current_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_index(Path("idx"), tiny_index(3))
    write_index(Path("idx"), tiny_index(4))
    assert index_exists(Path("idx")) and len(read_index(Path("idx")).chunks) == 4
