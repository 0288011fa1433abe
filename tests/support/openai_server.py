"""A small real HTTP server speaking the OpenAI chat-completions wire format (JSON and SSE), for
testing the `openai:` generator on loopback. Behaviour is chosen by the model name:

- "echo": answers with the first sentence of source [1], cited, like a well-behaved model
- "abstain": replies NO_ANSWER
- "garbage": returns a body that is not chat-completions JSON
- "down": HTTP 503 every time; "flaky": 503 once, then like "echo"
- "slow": sleeps 3 s before answering (for timeouts)
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _first_source_sentence(messages: list[dict[str, str]]) -> str:
    user = messages[-1]["content"]
    match = re.search(r"\[1\][^\n]*\n(.+?[。.!?！？])", user, re.S)
    return match.group(1).strip() if match else "Nothing."


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        return None

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        model = body["model"]
        if model == "down" or (model == "flaky" and len(self.server.requests) == 1):
            return self._send(503, b'{"error": "overloaded"}')
        if model == "garbage":
            return self._send(200, b"<html>not json</html>")
        if model == "slow":
            time.sleep(3)
        text = self._answer(model, body["messages"])
        if body.get("stream"):
            return self._stream(text)
        payload = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}
        return self._send(200, json.dumps(payload).encode())

    def _answer(self, model: str, messages: list[dict[str, str]]) -> str:
        if model == "abstain":
            return "NO_ANSWER"
        if "Standalone query" in messages[-1]["content"]:
            return "standalone: " + messages[-1]["content"].split("Last question:")[1].split("\n")[0].strip()
        return f"{_first_source_sentence(messages)} [1]"

    def _stream(self, text: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        first = {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}
        self.wfile.write(f"data: {json.dumps(first)}\n\n".encode())
        for i in range(0, len(text), 4):
            chunk = {"choices": [{"index": 0, "delta": {"content": text[i : i + 4]}}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def _send(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[dict[str, Any]]


@contextmanager
def openai_server() -> Iterator[_Server]:
    """Start on a free loopback port; `server.server_address[1]` is the port."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def base_url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"
