"""api.server, the uvicorn set-up of `rag serve`, on a real loopback server: connections that trickle
are cut by the request-read deadline, and X-Forwarded-For counts only from configured proxies."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from api.app import create_app
from rag.config import Settings
from tests.api.helpers import live_server

pytestmark = pytest.mark.slow
READ_TIMEOUT = 1.0


@contextmanager
def serving(settings: Settings, **overrides: Any) -> Iterator[str]:
    configured = settings.model_copy(update=overrides)
    with live_server(create_app(configured), configured) as url:
        yield url


@pytest.fixture(scope="module")
def url(api_settings: Settings) -> Iterator[str]:
    with serving(api_settings, request_read_timeout=READ_TIMEOUT) as running:
        yield running


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def trickle(sock: socket.socket, data: bytes, delay: float = 0.2) -> float:
    """Send one byte every `delay` s until the server hangs up; the seconds that took."""
    started = time.monotonic()
    try:
        for i in range(len(data)):
            sock.sendall(data[i : i + 1])
            time.sleep(delay)
    except OSError:
        pass  # reset by the server
    return time.monotonic() - started


def reply(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except OSError:
        pass
    return data


REQUEST = (
    b'POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{"query":"redis"}'
)


def test_trickled_headers_are_cut_with_408(url: str) -> None:
    with connect(url) as sock:
        spent = trickle(sock, REQUEST)  # 100+ bytes: 20 s at this pace
        assert spent < READ_TIMEOUT + 1.5
        assert reply(sock).startswith(b"HTTP/1.1 408")


def test_trickled_body_is_cut_with_408(url: str) -> None:
    head, body = REQUEST.split(b"\r\n\r\n")
    with connect(url) as sock:
        sock.sendall(head + b"\r\n\r\n")
        assert trickle(sock, body) < READ_TIMEOUT + 1.5
        answer = reply(sock)
        assert answer.startswith(b"HTTP/1.1 408") and b"RequestTimeout" in answer


def test_a_silent_connection_is_closed(url: str) -> None:
    with connect(url) as sock:
        started = time.monotonic()
        reply(sock)
        assert time.monotonic() - started < READ_TIMEOUT + 1.0


def test_normal_requests_on_a_kept_alive_connection_are_untouched(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(3):  # each request gets its own deadline, idle time between them is not counted
            assert client.post("/search", json={"query": "redis"}).status_code == 200
            time.sleep(0.6)
    with connect(url) as sock:  # a slow but timely sender is fine
        head, body = REQUEST.split(b"\r\n\r\n")
        sock.sendall(head + b"\r\n\r\n")
        time.sleep(READ_TIMEOUT / 2)
        sock.sendall(body)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")


def statuses(url: str, forwarded_for: list[str]) -> list[int]:
    with httpx.Client(base_url=url, timeout=30) as client:
        return [
            client.post("/search", json={"query": "redis"}, headers={"X-Forwarded-For": ip}).status_code
            for ip in forwarded_for
        ]


def test_spoofed_forwarded_for_from_loopback_does_not_escape_the_rate_limit(api_settings: Settings) -> None:
    with serving(api_settings, rate_limit_per_minute=2) as url:
        assert statuses(url, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) == [200, 200, 429]


def test_forwarded_for_counts_from_a_configured_proxy(api_settings: Settings) -> None:
    with serving(api_settings, rate_limit_per_minute=2, trusted_proxies=["127.0.0.1"]) as url:
        assert statuses(url, ["10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.1"]) == [200, 200, 200, 429]
        # The nearest untrusted hop counts: a client cannot prepend its way to a fresh budget.
        assert statuses(url, ["1.1.1.1, 10.0.0.2", "2.2.2.2, 10.0.0.2"]) == [200, 429]
