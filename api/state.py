"""The loaded Engine and its hot swap.

Requests take one reference to the current `Loaded` at their start and use it to the end, so a
reindex that swaps in a new Engine (a single attribute assignment) never disturbs a request in
flight: old requests finish on the old Engine, new ones start on the new one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from rag.config import Settings
from rag.embedders.base import Embedder
from rag.errors import IndexNotFoundError, RagError
from rag.pipeline import Engine, IngestReport, ingest
from rag.types import Chunk

log = logging.getLogger("blograg.api")


@dataclass
class Loaded:
    """An Engine plus the lookups the API needs that the Engine does not keep."""

    engine: Engine
    chunks_by_source: dict[str, list[Chunk]]
    loaded_at: str


def load_engine(settings: Settings, embedder: Embedder | None = None) -> Loaded:
    engine = Engine(settings, embedder)
    by_source: dict[str, list[Chunk]] = {}
    for chunk in engine.index.chunks:
        by_source.setdefault(chunk.source, []).append(chunk)
    return Loaded(engine, by_source, _now())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class ReindexStatus:
    state: str = "idle"  # idle | running | done | failed
    started: str | None = None
    finished: str | None = None
    stage: str = ""
    done: int = 0
    total: int = 0
    seconds: float | None = None
    report: dict[str, Any] | None = None
    error: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EngineHolder:
    settings: Settings
    current: Loaded | None = None
    load_error: RagError | None = None
    status: ReindexStatus = field(default_factory=ReindexStatus)
    _swap_lock: threading.Lock = field(default_factory=threading.Lock)
    _reindex_lock: threading.Lock = field(default_factory=threading.Lock)

    def load(self) -> None:
        """Load at startup; a missing or mismatched index is remembered and reported per request."""
        try:
            self.swap(load_engine(self.settings))
        except RagError as exc:
            log.warning("index not loaded: %s", exc)
            self.load_error = exc

    def get(self) -> Loaded:
        loaded = self.current
        if loaded is not None:
            return loaded
        raise self.load_error or IndexNotFoundError(
            "No index is loaded.", "Build one with `rag ingest` or POST /admin/reindex, then retry."
        )

    def swap(self, loaded: Loaded) -> None:
        with self._swap_lock:
            self.current = loaded
            self.load_error = None

    def start_reindex(self, rebuild: bool = False) -> bool:
        """Start a background re-ingest; False when one is already running."""
        if not self._reindex_lock.acquire(blocking=False):
            return False
        self.status = ReindexStatus(state="running", started=_now(), stage="load")
        thread = threading.Thread(target=self._reindex, args=(rebuild,), name="blograg-reindex", daemon=True)
        thread.start()
        return True

    def _reindex(self, rebuild: bool) -> None:
        status, started = self.status, time.perf_counter()
        try:
            # Reusing the live embedder avoids loading the model twice; embedders are stateless.
            embedder = self.current.engine.embedder if self.current else None
            report = ingest(self.settings, embedder=embedder, rebuild=rebuild, progress=self._progress)
            status.stage = "swap"
            self.swap(load_engine(self.settings, embedder))
            status.report, status.state = _report_json(report), "done"
        except RagError as exc:
            status.error, status.state = exc.to_json(), "failed"
        except Exception as exc:  # noqa: BLE001 - a crashed reindex must be reported, not lost in a thread
            log.exception("reindex failed")
            status.error = {"error": type(exc).__name__, "message": str(exc), "hint": "See the server log."}
            status.state = "failed"
        finally:
            status.finished, status.seconds = _now(), round(time.perf_counter() - started, 3)
            self._reindex_lock.release()

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.status.stage, self.status.done, self.status.total = stage, done, total


def _report_json(report: IngestReport) -> dict[str, Any]:
    return {
        "indexed": len(report.indexed),
        "unchanged": len(report.unchanged),
        "removed": len(report.removed),
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "chunks": report.chunks,
        "embedded": report.embedded,
        "seconds": {k: round(v, 3) for k, v in report.seconds.items()},
    }
