"""A wall-clock deadline for one generation (RAG_LLM_TIMEOUT), however the server behaves.

httpx timeouts apply to each read, so a server trickling one byte a second never trips them. A
`Deadline` is a timer that, when it fires, shuts down every socket the generation opened (it learns
them through httpcore's `trace` request extension), which wakes any read blocked on them at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from rag.errors import GeneratorError

# httpcore trace events whose return value is the connection's network stream (TCP, then TLS).
_STREAM_EVENTS = ("connection.connect_tcp.complete", "connection.start_tls.complete")


class Deadline:
    """Started on creation; use as a context manager so the timer never outlives the generation."""

    def __init__(self, seconds: float, what: str) -> None:
        self.seconds = seconds
        self.what = what
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._fired = False
        self._done = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()

    @property
    def expired(self) -> bool:
        return self._fired or time.monotonic() >= self._ends

    def remaining(self) -> float:
        return max(0.0, self._ends - time.monotonic())

    def check(self) -> None:
        """Raise the timeout error once the deadline has passed."""
        if self.expired:
            raise self.error()

    def error(self) -> GeneratorError:
        return GeneratorError(
            f"{self.what} did not finish within {self.seconds:g} s.",
            "Raise RAG_LLM_TIMEOUT (the limit for a whole answer), use a faster model, or lower RAG_LLM_MAX_TOKENS.",
        )

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore trace extension: remember each socket the request opens."""
        if event not in _STREAM_EVENTS or info.get("return_value") is None:
            return
        sock = info["return_value"].get_extra_info("socket")
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if self._done:
                return
            self._sockets.append(sock)
            fired = self._fired
        if fired:
            _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            self._sockets.clear()

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self._fired = True
            sockets = list(self._sockets)
            # Shut down under the lock: cancel() cannot return (and the sockets be closed and their
            # numbers reused) while we are still touching them.
            for sock in sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Shut both directions; a blocked recv() returns at once. The plain socket method, also for TLS
    sockets (whose own shutdown() would tear down the TLS state under the reading thread)."""
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
