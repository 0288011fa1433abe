"""A small real HTTP server speaking the OpenAI chat-completions wire format (JSON and SSE), for
testing the `openai:` generator on loopback. Behaviour is chosen by the model name:

- "echo": answers with the first sentence of source [1], cited, like a well-behaved model
- "abstain": replies NO_ANSWER
- "garbage": returns a body that is not chat-completions JSON
- "down": HTTP 503 every time; "flaky": 503 once, then like "echo"
- "slow": sleeps 3 s before answering (for timeouts)
- "trickle", "trickle-stream", "trickle-headers": send the reply (body, SSE stream, or status line
  and headers) one byte every `server.trickle_delay` seconds (for the total deadline)
- "huge" (with Content-Length), "huge-unsized" (without), "huge-stream" (endless SSE deltas): a
  reply of `server.huge_bytes` (for the size cap)
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.loopback import serving


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
        if model.startswith(("trickle", "huge")):
            return self._hostile(model, body)
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

    def _hostile(self, model: str, body: dict[str, Any]) -> None:
        """Replies that only a total deadline or a size cap can stop; the client hanging up ends them."""
        text = f"{_first_source_sentence(body['messages'])} [1]"
        reply = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}).encode()
        try:
            if model == "trickle-headers":
                head = f"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(reply)}\r\n\r\n"
                self._trickle(head.encode() + reply)
            elif model == "trickle":
                self._head({"Content-Type": "application/json", "Content-Length": str(len(reply))})
                self._trickle(reply)
            elif model == "trickle-stream":
                self._head({"Content-Type": "text/event-stream"})
                delta = {"choices": [{"index": 0, "delta": {"content": text}}]}
                self._trickle(f"data: {json.dumps(delta)}\n\ndata: [DONE]\n\n".encode())
            else:
                self._flood(model)
        except OSError:
            return  # the client gave up: that is the point

    def _head(self, headers: dict[str, str]) -> None:
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.flush()

    def _trickle(self, data: bytes) -> None:
        for i in range(len(data)):
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()
            time.sleep(self.server.trickle_delay)

    def _flood(self, model: str) -> None:
        size, block = self.server.huge_bytes, 1 << 20
        if model == "huge-stream":
            self._head({"Content-Type": "text/event-stream"})
            line = f"data: {json.dumps({'choices': [{'index': 0, 'delta': {'content': 'x' * 1000}}]})}\n\n".encode()
            for _ in range(size // len(line) + 1):
                self.wfile.write(line)
            return
        self._head({"Content-Type": "application/json"} | ({"Content-Length": str(size)} if model == "huge" else {}))
        prefix = b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "'
        self.wfile.write(prefix)
        for _ in range((size - len(prefix)) // block):
            self.wfile.write(b"x" * block)

    def _send(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[dict[str, Any]]
    trickle_delay: float = 0.25  # seconds between bytes of a trickled reply
    huge_bytes: int = 50_000_000  # size of a flooding reply


@contextmanager
def openai_server() -> Iterator[_Server]:
    """Start on a free loopback port; `server.server_address[1]` is the port."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.requests = []
    with serving(server):
        yield server


def base_url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/v1"
