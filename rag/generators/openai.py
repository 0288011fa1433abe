"""`openai:<model>` — any OpenAI-compatible chat-completions server: hosted APIs, Ollama, vLLM,
llama.cpp server, LM Studio. Base URL and key come from settings (RAG_OPENAI_BASE_URL,
RAG_OPENAI_API_KEY or OPENAI_API_KEY); `openai:<model>@<base url>` overrides the URL.

Talks plain HTTP with httpx (no SDK), with retries and exponential backoff, and server-sent-event
streaming. One generation has a total deadline (RAG_LLM_TIMEOUT: connect, retries and every byte of
the reply) and a reply size cap (RAG_LLM_MAX_RESPONSE_BYTES), so a server that trickles or floods
can neither stall an answer nor exhaust memory.
"""

from __future__ import annotations

import codecs
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx

from rag.config import Settings
from rag.errors import ConfigError, GeneratorError
from rag.generators.base import GeneratorContext
from rag.generators.deadline import Deadline
from rag.generators.prompt import rewrite_messages, settings_messages
from rag.types import Hit

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
ERROR_BODY_BYTES = 4096  # of an error reply, only this much is read (for the message)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class OpenAIGenerator:
    def __init__(self, model: str, base_url: str, settings: Settings) -> None:
        self.spec = f"openai:{model}"
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.openai_api_key}"} if settings.openai_api_key else {}
        # No kept-alive connections: each request opens its own, so the deadline sees (and can shut)
        # every socket from the first byte on. A generation takes seconds; a handshake, milliseconds.
        limits = httpx.Limits(max_keepalive_connections=0)
        self._client = httpx.Client(base_url=self.base_url, headers=headers, limits=limits)

    def _body(self, messages: list[dict[str, str]], stream: bool, max_tokens: int) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "temperature": 0, "max_tokens": max_tokens, "stream": stream}

    def _deadline(self) -> Deadline:
        return Deadline(self.settings.llm_timeout, f"The OpenAI-compatible server at {self.base_url}")

    def generate(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> str:
        messages = settings_messages(self.settings, question, sources, history)
        return self._complete(messages, self.settings.llm_max_tokens)

    def stream(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> Iterator[str]:
        messages = settings_messages(self.settings, question, sources, history)
        body = self._body(messages, True, self.settings.llm_max_tokens)
        with self._deadline() as deadline, self._send(body, deadline) as response:
            try:
                for line in self._guarded(_lines(self._capped(response)), deadline):
                    piece = _delta(line)
                    if piece is None:
                        return
                    if piece:
                        yield piece
            except GeneratorError as exc:
                if deadline.expired:  # e.g. a line cut in half by the deadline
                    raise deadline.error() from exc
                raise
            deadline.check()  # a stream cut by the deadline may end like a finished one

    def rewrite_query(self, question: str, history: list[dict[str, str]]) -> str:
        return self._complete(rewrite_messages(question, history), 64).strip().strip('"')

    def _complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        with self._deadline() as deadline:
            with self._send(self._body(messages, False, max_tokens), deadline) as response:
                data = b"".join(self._guarded(self._capped(response), deadline))
                deadline.check()
            try:
                return str(json.loads(data)["choices"][0]["message"]["content"] or "")
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                text = data[:200].decode("utf-8", "replace")
                raise GeneratorError(f"{self.spec} returned an unexpected body: {text}") from exc

    def _capped(self, response: httpx.Response) -> Iterator[bytes]:
        """The reply's bytes, stopping with an error past RAG_LLM_MAX_RESPONSE_BYTES."""
        limit = self.settings.llm_max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(self.spec, limit)
        total = 0
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > limit:
                raise _too_large(self.spec, limit)
            yield chunk

    def _guarded(self, items: Iterator[Any], deadline: Deadline) -> Iterator[Any]:
        """Reading errors as GeneratorErrors; the timeout one when the deadline cut the connection."""
        try:
            yield from items
        except httpx.HTTPError as exc:
            if deadline.expired:
                raise deadline.error() from exc
            raise GeneratorError(f"{self.spec}: the connection failed mid-reply: {exc}") from exc

    def _send(self, body: dict[str, Any], deadline: Deadline) -> Any:
        """POST with retries and backoff, all within the deadline; returns a context manager over a
        successful response."""
        attempts = self.settings.llm_retries + 1
        for attempt in range(attempts):
            deadline.check()
            request = self._client.build_request(
                "POST",
                "/chat/completions",
                json=body,
                timeout=httpx.Timeout(deadline.remaining()),
                extensions={"trace": deadline.trace},
            )
            try:
                response = self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                error: Exception = exc
            else:
                if response.status_code < 400:
                    return _Closing(response)
                error = GeneratorError(f"{self.spec}: HTTP {response.status_code}: {_error_text(response)}")
                response.close()
                if response.status_code not in RETRY_STATUS:
                    break
            if deadline.expired:
                raise deadline.error() from error
            if attempt + 1 < attempts:
                time.sleep(min(0.5 * 2**attempt, 8.0, deadline.remaining()))
        raise GeneratorError(
            f"The OpenAI-compatible server at {self.base_url} failed: {error}",
            "Check RAG_OPENAI_BASE_URL, RAG_OPENAI_API_KEY and that the model name exists on the server.",
        ) from error


def _too_large(spec: str, limit: int) -> GeneratorError:
    return GeneratorError(
        f"{spec} sent a reply larger than {limit} bytes.",
        "Check that the server is a chat-completions API; raise RAG_LLM_MAX_RESPONSE_BYTES if its replies "
        "really are that large.",
    )


def _error_text(response: httpx.Response) -> str:
    """The start of an error reply, for the message; never the whole body, and never an exception."""
    data = b""
    try:
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) >= ERROR_BODY_BYTES:
                break
    except httpx.HTTPError:
        pass
    return data[:200].decode("utf-8", "replace")


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """Text lines of a byte stream (SSE allows \\n, \\r\\n and \\r); a line is never longer than the
    capped stream it comes from."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    pending = ""
    for chunk in chunks:
        *lines, pending = _LINE_BREAK.split(pending + decoder.decode(chunk))
        yield from lines
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


class _Closing:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    def __enter__(self) -> httpx.Response:
        return self.response

    def __exit__(self, *exc: object) -> None:
        self.response.close()


def _delta(line: str) -> str | None:
    """Text of one SSE line; None at [DONE]; '' for keep-alives and role-only chunks."""
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        choice = json.loads(data)["choices"][0]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise GeneratorError(f"Garbled stream chunk from the server: {data[:120]}") from exc
    return str((choice.get("delta") or {}).get("content") or "")


def create(arg: str, context: GeneratorContext) -> OpenAIGenerator:
    model, _, base_url = arg.partition("@")
    if not model:
        raise ConfigError(
            "The 'openai:' generator needs a model name.", "Use e.g. openai:gpt-4o-mini or openai:qwen2.5:7b"
        )
    settings = context.settings or Settings.model_construct()  # defaults, without reading the environment
    return OpenAIGenerator(model, base_url or settings.openai_base_url, settings)
