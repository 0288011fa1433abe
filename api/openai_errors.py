"""Errors on /v1 leave in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`.

The app's own `{error, message, hint}` is what every handler writes (api.handlers, the body limit,
the key check); this middleware restates it for /v1 routes only, because OpenAI clients read
`error.message` and nothing else, so the hint goes into the message.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/v1/"
_TYPES = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}
_CODES = {
    "AuthError": "invalid_api_key",
    "ModelNotFoundError": "model_not_found",
    "InputError": "invalid_request",
    "RateLimitedError": "rate_limit_exceeded",
}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def openai_error(body: dict[str, Any], status: int) -> dict[str, Any]:
    """The app's error JSON -> OpenAI's error object, with the fix hint appended to the message."""
    message = str(body.get("message", "")).strip()
    hint = str(body.get("hint") or "").strip()
    if hint:
        stop = "" if not message or message.endswith((".", "?", "!", "。")) else "."
        message = f"{message}{stop} Fix: {hint}".strip()
    details = body.get("details") or []
    param = details[0].get("field") if details and isinstance(details[0], dict) else None
    kind = _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    name = str(body.get("error", ""))
    if name == "HTTPError":  # routing errors (no such path or method), raised by Starlette
        code: str | None = _HTTP_CODES.get(status, "http_error")
    else:
        code = _CODES.get(name) or _snake(name.removesuffix("Error")) or None
    error = {"message": message, "type": kind, "param": param, "code": code}
    return {"error": error | ({"details": details} if details else {})}  # the hint may point at `details`


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class OpenAIErrorMiddleware:
    """Rewrites JSON error responses under /v1/ into OpenAI's error shape (status and headers kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] >= 400:
                start = message
                return
            if start is None:
                await send(message)  # a success, streamed or not: passed through untouched
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await _send_rewritten(send, start, bytes(body))

        await self.app(scope, receive, capture)


async def _send_rewritten(send: Send, start: Message, body: bytes) -> None:
    headers = MutableHeaders(scope=start)
    try:
        parsed = json.loads(body) if headers.get("content-type", "").startswith("application/json") else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        body = json.dumps(openai_error(parsed, start["status"]), ensure_ascii=False).encode()
        headers["content-length"] = str(len(body))
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
