"""The app under a real uvicorn on loopback: streaming really streams, the event loop stays free."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from rag.config import Settings
from tests.api.helpers import live_server, parse_sse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(api_settings: Settings) -> Iterator[tuple[str, Any]]:
    app = create_app(api_settings.model_copy(update={"max_body_bytes": 2048}))
    with live_server(app) as url:
        yield url, app


def test_health_ask_and_search_over_tcp(server: tuple[str, Any]) -> None:
    url, _ = server
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/health").json()["index_loaded"] is True
        answer = client.post("/ask", json={"question": "How do I set a TTL in Redis?"}).json()
        assert answer["citations"][0]["quote"] == "Set a TTL on every key."
        assert client.post("/search", json={"query": "redis", "top_k": 2}).json()[0]["source"] == "html-post.html"
        assert "提问 / Ask" in client.get("/").text


def test_stream_over_tcp_has_the_full_event_sequence(server: tuple[str, Any]) -> None:
    url, _ = server
    with (
        httpx.Client(base_url=url, timeout=30) as client,
        client.stream(
            "POST", "/ask", json={"question": "王泽锋从哪一年开始深耕云原生领域？", "stream": True}
        ) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.iter_lines())
    names = [n for n, _ in events]
    assert names[0] == "meta" and "token" in names and names[-2:] == ["citations", "done"]
    assert "2015" in events[-2][1]["answer"]


def _slow_stream(hits: list[Any], answer: Any, delay: float) -> Any:
    def ask_stream(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield {"event": "meta", "query": "q", "hits": hits}
        for word in ("one ", "two ", "three"):
            time.sleep(delay)  # a blocking model call, like a local LLM decoding
            yield {"event": "token", "text": word}
        yield {"event": "answer", "answer": answer}

    return ask_stream


def test_tokens_arrive_as_produced_and_loop_stays_free(
    server: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, app = server
    engine = app.state.holder.current.engine
    real = engine.ask("How do I set a TTL in Redis?")
    monkeypatch.setattr(engine, "ask_stream", _slow_stream(real.hits, real, 0.4))
    arrivals: dict[str, float] = {}
    health_seconds: list[float] = []
    with (
        httpx.Client(base_url=url, timeout=30) as client,
        client.stream("POST", "/ask", json={"question": "q", "stream": True}) as response,
    ):
        started = time.perf_counter()
        for line in response.iter_lines():
            if line.startswith("event:"):
                arrivals.setdefault(line[6:].strip(), time.perf_counter() - started)
                if line.endswith("token") and not health_seconds:
                    # While the engine thread blocks, other requests are still answered at once.
                    t0 = time.perf_counter()
                    assert httpx.get(f"{url}/health", timeout=5).status_code == 200
                    health_seconds.append(time.perf_counter() - t0)
    # Nothing buffers the stream: the first token lands long before the answer is complete.
    assert arrivals["citations"] - arrivals["token"] > 0.6
    assert health_seconds[0] < 0.3


def test_chunked_oversized_body_is_413_over_tcp(server: tuple[str, Any]) -> None:
    url, _ = server

    def body() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(30):
            yield b"z" * 100
        yield b'"}'

    response = httpx.post(f"{url}/ask", content=body(), headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413 and response.json()["error"] == "BodyTooLargeError"


def test_client_leaving_mid_stream_does_not_hurt_the_server(server: tuple[str, Any]) -> None:
    url, _ = server
    with httpx.Client(base_url=url, timeout=30) as client:
        with client.stream("POST", "/ask", json={"question": "CNCF TOC 有多少个席位？", "stream": True}) as response:
            next(response.iter_lines())  # read the first line, then hang up
        assert client.get("/health").status_code == 200
        assert client.post("/ask", json={"question": "How do I set a TTL in Redis?"}).status_code == 200


def test_rag_serve_builds_a_missing_index_and_serves(tmp_path: Path, sample_posts: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    index = tmp_path / "fresh-index"
    command = [sys.executable, "-m", "rag.cli", "serve", "--port", str(port), "--index", str(index)]
    env = {**os.environ, "RAG_EMBEDDER": "hashing", "RAG_RATE_LIMIT_PER_MINUTE": "0"}
    server = subprocess.Popen(
        [*command, "--posts", str(sample_posts)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        health = _wait_healthy(f"http://127.0.0.1:{port}", server)
        assert health["posts"] == 5 and health["embedder"] == "hashing:256"
        assert (index / "current").exists()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=15)
    assert f"http://127.0.0.1:{port}/" in output and "No index in" in output


def _wait_healthy(url: str, server: subprocess.Popen[str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "rag serve exited early"
        try:
            response = httpx.get(f"{url}/health", timeout=2)
            if response.status_code == 200:
                health: dict[str, Any] = response.json()
                return health
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("rag serve did not become healthy")
