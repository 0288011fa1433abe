"""`openai:<model>` — any OpenAI-compatible chat-completions server: hosted APIs, Ollama, vLLM,
llama.cpp server, LM Studio. Base URL and key come from settings (RAG_OPENAI_BASE_URL,
RAG_OPENAI_API_KEY or OPENAI_API_KEY); `openai:<model>@<base url>` overrides the URL.

Talks plain HTTP with httpx (no SDK), with a timeout, retries with exponential backoff, and
server-sent-event streaming.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from rag.config import Settings
from rag.errors import ConfigError, GeneratorError
from rag.generators.base import GeneratorContext
from rag.generators.prompt import rewrite_messages, settings_messages
from rag.types import Hit

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class OpenAIGenerator:
    def __init__(self, model: str, base_url: str, settings: Settings) -> None:
        self.spec = f"openai:{model}"
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.openai_api_key}"} if settings.openai_api_key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=settings.llm_timeout)

    def _body(self, messages: list[dict[str, str]], stream: bool, max_tokens: int) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "temperature": 0, "max_tokens": max_tokens, "stream": stream}

    def generate(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> str:
        messages = settings_messages(self.settings, question, sources, history)
        return self._complete(messages, self.settings.llm_max_tokens)

    def stream(
        self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None
    ) -> Iterator[str]:
        messages = settings_messages(self.settings, question, sources, history)
        body = self._body(messages, True, self.settings.llm_max_tokens)
        with self._send(body, stream=True) as response:
            for line in response.iter_lines():
                piece = _delta(line)
                if piece is None:
                    break
                if piece:
                    yield piece

    def rewrite_query(self, question: str, history: list[dict[str, str]]) -> str:
        return self._complete(rewrite_messages(question, history), 64).strip().strip('"')

    def _complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        with self._send(self._body(messages, False, max_tokens), stream=False) as response:
            response.read()
            try:
                return str(response.json()["choices"][0]["message"]["content"] or "")
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise GeneratorError(f"{self.spec} returned an unexpected body: {response.text[:200]}") from exc

    def _send(self, body: dict[str, Any], stream: bool) -> Any:
        """POST with retries and backoff; returns a context manager over a successful response."""
        attempts = self.settings.llm_retries + 1
        for attempt in range(attempts):
            try:
                request = self._client.build_request("POST", "/chat/completions", json=body)
                response = self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                error: Exception = exc
            else:
                if response.status_code < 400:
                    return _Closing(response)
                response.read()
                error = GeneratorError(f"{self.spec}: HTTP {response.status_code}: {response.text[:200]}")
                response.close()
                if response.status_code not in RETRY_STATUS:
                    break
            if attempt + 1 < attempts:
                time.sleep(min(0.5 * 2**attempt, 8.0))
        raise GeneratorError(
            f"The OpenAI-compatible server at {self.base_url} failed: {error}",
            "Check RAG_OPENAI_BASE_URL, RAG_OPENAI_API_KEY and that the model name exists on the server.",
        ) from error


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
