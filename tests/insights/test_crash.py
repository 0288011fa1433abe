"""A process killed with SIGKILL in the middle of writing leaves a question log that opens, passes
`PRAGMA integrity_check`, and holds every answer a client received (real subprocesses)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from rag.config import Settings
from rag.insights.sqlite import SqliteQuestionLog
from rag.pipeline import ingest
from tests.insights.helpers import entry

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import sys, threading
from pathlib import Path
from rag.insights.sqlite import SqliteQuestionLog
from tests.insights.helpers import entry
log = SqliteQuestionLog(Path(sys.argv[1]))
lock = threading.Lock()
def write(n):
    for i in range(10**9):
        item = entry(f"writer {n} question {i} " + "words " * 50)
        log.record(item)
        with lock:
            print(item.answer_id, flush=True)
for n in range(4):
    threading.Thread(target=write, args=(n,)).start()
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check(db: Path, received: set[str]) -> None:
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    logged = {row[0] for row in conn.execute("SELECT answer_id FROM questions")}
    conn.close()
    assert received and received <= logged  # every answer the client saw was committed first
    log = SqliteQuestionLog(db)  # and the file goes on being used
    log.record(entry("after the crash"))
    assert len(log.entries()) == len(logged) + 1
    log.close()


def test_a_server_killed_mid_writes_leaves_a_readable_log(tmp_path: Path, sample_posts: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", posts=[sample_posts], embedder="hashing")
    ingest(settings)
    port, db = _free_port(), tmp_path / "q.sqlite"
    env = {**_env(), "RAG_DB_URL": str(db), "RAG_RATE_LIMIT_PER_MINUTE": "0"}
    command = [sys.executable, "-m", "rag", "serve", "--index", str(settings.index_dir), "--port", str(port)]
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    received: set[str] = set()
    stop = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            while not stop.is_set():
                try:
                    body = {"question": f"王泽锋获得了什么奖？ {n}", "stream": n % 2 == 1}
                    response = http.post("/ask", json=body)
                    if not body["stream"]:
                        received.add(response.json()["answer_id"])
                    else:
                        line = next(x for x in response.text.splitlines() if '"answer_id"' in x)
                        received.add(line.split('"answer_id": "')[1][:32])
                except (httpx.HTTPError, StopIteration, ValueError, KeyError):
                    time.sleep(0.05)  # not up yet, or killed

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()  # they retry until the server is up
    try:
        deadline = time.monotonic() + 60
        while len(received) < 40:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not serve: {server.stderr.read().decode() if server.stderr else ''}")
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)  # while the clients keep asking
        server.wait(10)
    finally:
        stop.set()
        if server.poll() is None:
            server.kill()
        for thread in threads:
            thread.join(15)
    assert len(received) >= 40
    _check(db, received)


def test_a_writer_killed_mid_transaction_leaves_a_readable_log(tmp_path: Path) -> None:
    db = tmp_path / "q.sqlite"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True
    )
    received: set[str] = set()
    assert writer.stdout is not None
    for line in writer.stdout:
        received.add(line.strip())
        if len(received) >= 2000:
            break
    writer.send_signal(signal.SIGKILL)
    writer.wait(10)
    _check(db, received)
