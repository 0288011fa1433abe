"""POST /admin/reindex under load: every query succeeds while the index is rebuilt and swapped."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import rag.embedders.hashing as hashing
from api.app import create_app
from rag.config import Settings
from rag.pipeline import ingest
from tests.api.helpers import build_corpus, live_server

pytestmark = pytest.mark.slow
KEY = {"X-API-Key": "admin-key"}
NEW_POSTS = 150
BATCH_DELAY = 0.3  # seconds per embedding batch of 32: makes the reindex last a few seconds


class SlowHashingEmbedder(hashing.HashingEmbedder):
    """The hashing fake with the latency of a real model on passages (queries stay fast)."""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        time.sleep(BATCH_DELAY)
        return super().embed_passages(texts)


def _add_posts(folder: Path) -> None:
    for i in range(NEW_POSTS):
        (folder / f"bulk/post-{i:03d}.md").parent.mkdir(exist_ok=True)
        (folder / f"bulk/post-{i:03d}.md").write_text(
            f"---\ntitle: Bulk post {i}\ndate: 2024-02-{i % 28 + 1:02d}\n---\n\nFiller number {i} about gardening.\n"
        )
    (folder / "okapi.md").write_text(
        "---\ntitle: Okapi facts\ndate: 2024-03-01\n---\n\nThe okapi named Zorblax lives in the Ituri forest.\n"
    )


def _hammer(url: str, stop: threading.Event, statuses: Counter[int], during: list[int], holder: object) -> None:
    payloads = [("/search", {"query": "KubeSphere 社区"}), ("/ask", {"question": "How do I set a TTL in Redis?"})]
    with httpx.Client(base_url=url, headers=KEY, timeout=30) as client:
        i = 0
        while not stop.is_set():
            path, body = payloads[i % 2]
            statuses[client.post(path, json=body).status_code] += 1
            if holder.status.state == "running":  # type: ignore[attr-defined]
                during.append(1)
            i += 1


def test_reindex_swaps_the_engine_without_failing_queries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    posts = build_corpus(tmp_path / "posts")
    settings = Settings(
        index_dir=tmp_path / "index", posts=[posts], embedder="hashing", api_key="admin-key", rate_limit_per_minute=0
    )
    ingest(settings)
    _add_posts(posts)
    monkeypatch.setattr(hashing, "create", lambda arg: SlowHashingEmbedder())
    app = create_app(settings)
    with live_server(app) as url:
        holder = app.state.holder
        old_engine = holder.current.engine
        assert httpx.get(f"{url}/posts/okapi.md", headers=KEY).status_code == 404
        stop, statuses, during = threading.Event(), Counter[int](), list[int]()
        workers = [threading.Thread(target=_hammer, args=(url, stop, statuses, during, holder)) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(0.3)
        started = httpx.post(f"{url}/admin/reindex", headers=KEY, timeout=10)
        assert started.status_code == 202 and started.json()["state"] == "running"
        progress = _wait_for_reindex(url)
        stop.set()
        for worker in workers:
            worker.join(30)

        assert set(statuses) == {200}, statuses
        assert len(during) >= 10  # the load really overlapped the reindex
        assert any(p["stage"] == "embed" and 0 < p["done"] < p["total"] for p in progress)
        final = progress[-1]
        assert final["state"] == "done" and final["report"]["indexed"] == NEW_POSTS + 1, final
        assert holder.current.engine is not old_engine
        hits = httpx.post(f"{url}/search", json={"query": "Zorblax okapi"}, headers=KEY).json()
        assert hits[0]["source"] == "okapi.md"
        assert httpx.get(f"{url}/posts/okapi.md", headers=KEY).status_code == 200
        assert httpx.get(f"{url}/health").json()["posts"] == 10 + NEW_POSTS + 1


def _wait_for_reindex(url: str, timeout: float = 120) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = httpx.get(f"{url}/admin/reindex", headers=KEY).json()
        seen.append(status)
        if status["state"] in ("done", "failed"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"reindex did not finish: {seen[-1]}")


def test_failed_reindex_reports_the_error_and_keeps_serving(tmp_path: Path, api_settings: Settings) -> None:
    # Pointed at an empty folder, ingest fails with NoPostsError; the old index keeps answering.
    settings = api_settings.model_copy(update={"posts": [tmp_path], "api_key": "admin-key"})
    app = create_app(settings)
    with live_server(app) as url:
        assert httpx.post(f"{url}/admin/reindex", headers=KEY).status_code == 202
        final = _wait_for_reindex(url)[-1]
        assert final["state"] == "failed"
        assert final["error"]["error"] == "NoPostsError" and final["error"]["hint"]
        assert httpx.post(f"{url}/search", json={"query": "redis"}, headers=KEY).status_code == 200
