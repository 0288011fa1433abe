"""Two writers on one index, as real processes: the second is refused while the first writes, and
no writer ever deletes a version folder another live process is writing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from rag.config import Settings
from rag.errors import IndexBusyError
from rag.pipeline import Engine, ingest
from rag.store import write_index
from tests.test_store import tiny_index

ROOT = Path(__file__).resolve().parents[1]

# A writer that pauses mid-write (its `.tmp` version on disk) until the test says go.
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import rag.pipeline as pipeline, rag.store as store
    from rag.config import Settings

    index_dir, posts, marker, go = sys.argv[1:5]
    original_save = store.np.save
    def paused_save(*args, **kwargs):
        original_save(*args, **kwargs)
        Path(marker).write_text("writing")
        while not Path(go).exists():
            time.sleep(0.05)
    store.np.save = paused_save
    settings = Settings(index_dir=Path(index_dir), posts=[Path(posts)], embedder="hashing")
    pipeline.ingest(settings, rebuild=True)
    """
)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _wait_for(path: Path, child: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert child.poll() is None, "writer ended before it was writing"
        assert time.monotonic() < deadline, "writer never started writing"
        time.sleep(0.05)


def test_second_ingest_is_refused_while_another_process_writes(tmp_path: Path, hashing_settings: Settings) -> None:
    ingest(hashing_settings)
    index_dir, posts = str(hashing_settings.index_dir), str(hashing_settings.posts[0])
    marker, go = tmp_path / "writing", tmp_path / "go"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, index_dir, posts, str(marker), str(go)], env=_env())
    try:
        _wait_for(marker, writer)
        second = subprocess.run(
            [sys.executable, "-m", "rag", "ingest", posts, "--index", index_dir, "--embedder", "hashing", "--rebuild"],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == IndexBusyError.exit_code, second.stderr
        message = " ".join(second.stderr.split())
        assert "Another process is writing the index" in message and "Traceback" not in message
        assert any(p.name.endswith(".tmp") for p in hashing_settings.index_dir.iterdir()), "writer's version kept"
    finally:
        go.write_text("go")
        assert writer.wait(timeout=120) == 0, "the first writer finished its version"
    engine = Engine(hashing_settings)
    assert engine.search("KubeSphere", 1)
    assert [p.name for p in hashing_settings.index_dir.iterdir() if p.name.startswith("v-")] == [engine.index.path.name]


def test_a_live_writers_version_is_never_removed(tmp_path: Path) -> None:
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        theirs = tmp_path / f"v-20260101T000000-{live.pid}-1.tmp"
        theirs.mkdir(parents=True)
        dead = tmp_path / "v-20260101T000000-999999999-1.tmp"
        dead.mkdir()
        write_index(tmp_path, tiny_index(3))
        assert theirs.exists() and not dead.exists()
    finally:
        live.kill()
        live.wait()
    write_index(tmp_path, tiny_index(4))
    assert not theirs.exists()
