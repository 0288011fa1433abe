"""Kill an ingest midway (SIGKILL, no cleanup) and the previous index still opens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rag.config import Settings
from rag.pipeline import Engine, ingest

# A child process that re-ingests with hooks that pause at a chosen moment and announce it.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import rag.pipeline as pipeline, rag.store as store
    from rag.config import Settings
    from rag.embedders.hashing import HashingEmbedder

    index_dir, posts, phase, marker = sys.argv[1:5]

    def pause():
        Path(marker).write_text("ready")
        time.sleep(60)

    class SlowEmbedder(HashingEmbedder):
        def embed_passages(self, texts):
            if phase == "embed":
                pause()
            return super().embed_passages(texts)

    original_save = store.np.save
    def slow_save(*args, **kwargs):
        original_save(*args, **kwargs)
        if phase == "write":
            pause()
    store.np.save = slow_save

    settings = Settings(index_dir=Path(index_dir), posts=[Path(posts)], embedder="hashing")
    pipeline.ingest(settings, embedder=SlowEmbedder(), rebuild=True)
    """
)


@pytest.mark.parametrize("phase", ["embed", "write"])
def test_killed_ingest_leaves_previous_index(tmp_path: Path, hashing_settings: Settings, phase: str) -> None:
    before = ingest(hashing_settings)
    marker = tmp_path / "marker"
    index_dir, posts = str(hashing_settings.index_dir), str(hashing_settings.posts[0])
    child = subprocess.Popen([sys.executable, "-c", CHILD, index_dir, posts, phase, str(marker)])
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None, "child ended before reaching the kill point"
        assert time.monotonic() < deadline, "child never reached the kill point"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    if phase == "write":
        assert any(p.name.endswith(".tmp") for p in hashing_settings.index_dir.iterdir()), "killed mid-write"
    engine = Engine(hashing_settings)
    assert len(engine.index.chunks) == before.chunks
    assert engine.search("KubeSphere", 1)
    after = ingest(hashing_settings)  # the next ingest cleans up and works
    assert not any(p.name.endswith(".tmp") for p in hashing_settings.index_dir.iterdir())
    assert after.chunks == before.chunks
