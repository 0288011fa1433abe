"""How `rag serve` runs the app under uvicorn: a total deadline for reading each request, and no
trust in X-Forwarded-For unless the operator names the proxies (see api.deps.client_address).

uvicorn's own timeouts cover only idle kept-alive connections: a client that sends its headers or
body one byte a second holds a connection (and, for a body, an app task) forever. The protocol
below gives every request RAG_REQUEST_READ_TIMEOUT seconds from its first byte (or from the
connection's start) to its last, then answers 408 and closes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from rag.config import Settings

_READ_DONE = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR)
_TIMEOUT_BODY = b'{"error": "RequestTimeout", "message": "The request was not received in time.", ' + (
    b'"hint": "Send the whole request at once; the server closes connections that trickle."}'
)


class ReadDeadlineProtocol(H11Protocol):
    """h11 with a deadline on reading each request, headers and body together."""

    read_timeout: float = 15.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._read_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._read_deadline is None and self.conn.their_state not in _READ_DONE:
            self._arm()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state in _READ_DONE:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._read_deadline = self.loop.call_later(self.read_timeout, self._on_read_timeout)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _on_read_timeout(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing() or self.conn.their_state in _READ_DONE:
            return
        if self.cycle is None or not self.cycle.response_started:
            self._send_408()
        if self.cycle is not None:
            # The app may be waiting for the rest of the body: it now reads a disconnect, and
            # anything it sends is dropped.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()

    def _send_408(self) -> None:
        """Written raw: h11 cannot answer a request whose request line has not arrived yet."""
        head = (
            "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
            f"content-length: {len(_TIMEOUT_BODY)}\r\n\r\n"
        )
        self.transport.write(head.encode() + _TIMEOUT_BODY)


def protocol_for(settings: Settings) -> type[ReadDeadlineProtocol]:
    """The protocol class with this server's read deadline."""
    return type("ReadDeadlineProtocol", (ReadDeadlineProtocol,), {"read_timeout": settings.request_read_timeout})


def server_config(app: Any, settings: Settings, host: str, port: int, **extra: Any) -> uvicorn.Config:
    """uvicorn settings for serving `app`; `extra` passes further uvicorn options (tests use it)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol_for(settings),
        # X-Forwarded-For is read by the app, only from RAG_TRUSTED_PROXIES; uvicorn would believe
        # it from any loopback peer and rewrite the client address before the app sees it.
        proxy_headers=False,
        **extra,
    )


def serve(app: Any, settings: Settings, host: str, port: int) -> None:
    """Run until interrupted (what `rag serve` does after indexing)."""
    uvicorn.Server(server_config(app, settings, host, port)).run()
