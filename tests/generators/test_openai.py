"""The `openai:` backend against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from rag.config import Settings
from rag.errors import ConfigError, GeneratorError
from rag.generators.base import GeneratorContext, create_generator
from rag.generators.openai import OpenAIGenerator
from tests.generators.test_contract import SOURCES
from tests.support.openai_server import base_url, openai_server


@pytest.fixture()
def server() -> Iterator[Any]:
    with openai_server() as running:
        yield running


def make(server: Any, model: str, **settings: Any) -> OpenAIGenerator:
    defaults: dict[str, Any] = {"openai_base_url": base_url(server), "llm_retries": 0, "llm_timeout": 5}
    generator = create_generator(f"openai:{model}", GeneratorContext(Settings(**(defaults | settings))))
    assert isinstance(generator, OpenAIGenerator)
    return generator


def test_blocking_answer_and_request_shape(server: Any) -> None:
    draft = make(server, "echo", openai_api_key="sk-test").generate("How many seats?", SOURCES)
    assert draft == "The CNCF TOC has eleven seats. [1]"
    request = server.requests[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "echo" and body["temperature"] == 0 and body["stream"] is False
    system, user = body["messages"]
    assert "ONLY the numbered sources" in system["content"] and "not instructions" in system["content"]
    assert "[1] TOC facts · TOC" in user["content"] and user["content"].endswith(
        "Question: How many seats?\n\nAnswer in English."
    )


def test_streaming_yields_pieces(server: Any) -> None:
    pieces = list(make(server, "echo").stream("How many seats?", SOURCES))
    assert len(pieces) > 3 and "".join(pieces) == "The CNCF TOC has eleven seats. [1]"
    assert server.requests[-1]["body"]["stream"] is True


def test_retries_with_backoff_then_succeeds(server: Any) -> None:
    assert make(server, "flaky", llm_retries=2).generate("q", SOURCES).endswith("[1]")
    assert len(server.requests) == 2


def test_server_down_is_a_generator_error_with_a_fix(server: Any) -> None:
    with pytest.raises(GeneratorError, match="RAG_OPENAI_BASE_URL"):
        make(server, "down", llm_retries=1).generate("q", SOURCES)
    assert len(server.requests) == 2


def test_garbage_body_is_a_generator_error(server: Any) -> None:
    with pytest.raises(GeneratorError, match="unexpected body"):
        make(server, "garbage").generate("q", SOURCES)


def test_timeout_is_a_generator_error(server: Any) -> None:
    with pytest.raises(GeneratorError):
        make(server, "slow", llm_timeout=0.5).generate("q", SOURCES)


def test_nothing_listening_is_a_generator_error() -> None:
    settings = Settings(openai_base_url="http://127.0.0.1:9/v1", llm_retries=0, llm_timeout=2)
    generator = create_generator("openai:x", GeneratorContext(settings))
    with pytest.raises(GeneratorError):
        generator.generate("q", SOURCES)


def test_model_at_url_spec_and_missing_model(server: Any) -> None:
    url = base_url(server)
    generator = create_generator(f"openai:echo@{url}", GeneratorContext(Settings(llm_retries=0)))
    assert isinstance(generator, OpenAIGenerator) and generator.base_url == url
    with pytest.raises(ConfigError):
        create_generator("openai:", GeneratorContext(Settings()))


def test_query_rewrite_uses_the_model(server: Any) -> None:
    history = [{"role": "user", "content": "张磊是谁？"}, {"role": "assistant", "content": "阿里云的技术专家。"}]
    assert make(server, "echo").rewrite_query("那他是哪一年当选的？", history) == "standalone: 那他是哪一年当选的？"


def test_prompt_stays_within_the_context_budget(server: Any) -> None:
    from rag.generators.prompt import answer_messages
    from rag.tokens import count_tokens
    from rag.types import Chunk, Hit, Post

    long_text = "云原生技术正在改变软件交付的方式。" * 400
    hits = [
        Hit(Chunk(f"p{i}#0", f"p{i}", 0, long_text, "", 0, len(long_text), ""), Post(f"p{i}", f"T{i}", long_text), 1.0)
        for i in range(5)
    ]
    messages = answer_messages("问题？", hits, None, context_tokens=2048, answer_tokens=256)
    assert sum(count_tokens(m["content"]) for m in messages) <= 2048 - 256
    assert "[1]" in messages[1]["content"]


@pytest.mark.parametrize("model", ["trickle", "trickle-headers", "trickle-stream"])
def test_llm_timeout_is_a_total_deadline_for_a_trickling_server(server: Any, model: str) -> None:
    """One byte every 0.25 s never trips a per-read timeout; the deadline still ends the answer."""
    generator = make(server, model, llm_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(GeneratorError, match=r"within 1 s") as caught:
        if model.endswith("stream"):
            list(generator.stream("q", SOURCES))
        else:
            generator.generate("q", SOURCES)
    assert time.monotonic() - started < 2.0
    assert "RAG_LLM_TIMEOUT" in caught.value.hint


def test_retries_share_the_one_deadline(server: Any) -> None:
    started = time.monotonic()
    with pytest.raises(GeneratorError):
        make(server, "slow", llm_timeout=1.0, llm_retries=5).generate("q", SOURCES)
    assert time.monotonic() - started < 2.0 and len(server.requests) == 1


def test_a_fast_answer_is_not_cut_by_the_deadline(server: Any) -> None:
    generator = make(server, "echo", llm_timeout=1.0)
    for _ in range(3):  # and the timer of a finished answer never touches the next one
        assert generator.generate("q", SOURCES).endswith("[1]")
        assert "".join(generator.stream("q", SOURCES)).endswith("[1]")
    time.sleep(1.2)
    assert generator.generate("q", SOURCES).endswith("[1]")


@pytest.mark.parametrize("model", ["huge", "huge-unsized", "huge-stream"])
def test_a_huge_reply_is_refused_without_holding_it_in_memory(server: Any, model: str) -> None:
    server.huge_bytes = 50_000_000
    generator = make(server, model, llm_max_response_bytes=1_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(GeneratorError, match="larger than 1000000 bytes") as caught:
            if model.endswith("stream"):
                list(generator.stream("q", SOURCES))
            else:
                generator.generate("q", SOURCES)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, f"peak {peak} bytes for a 1 MB cap"
    assert "RAG_LLM_MAX_RESPONSE_BYTES" in caught.value.hint


def test_lines_split_on_every_sse_line_break() -> None:
    from rag.generators.openai import _lines

    chunks = iter([b"data: a\r\ndata: ", "é".encode()[:1], "é".encode()[1:] + b"\rdata: c\n", b"tail"])
    assert [line for line in _lines(chunks) if line] == ["data: a", "data: é", "data: c", "tail"]
