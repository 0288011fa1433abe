"""Fast checks of the /v1 pieces: sources in content and back, deltas, model names, error shapes."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from fastapi.testclient import TestClient

from api.openai_errors import openai_error
from api.openai_models import ModelNotFoundError, model_table, public_name, resolve_model
from api.openai_schemas import ChatCompletionRequest
from api.openai_wire import ask_request, content_parts, pieces, strip_sources
from rag.answering import MAX_HISTORY_TURNS, refusal_text, unresolved_text
from rag.config import Settings
from rag.errors import GeneratorError
from rag.types import Answer, Citation
from tests.api.helpers import ClientFactory


def cited(answer: str, title: str = "Caching with Redis", url: str | None = "https://b.example/r/") -> Answer:
    citation = Citation(1, "r.md", title, url, "2024-06-01", "", "Set a TTL.")
    return Answer(answer, [citation], False, "q", "extractive")


def test_content_lists_the_sources_as_markdown_links_and_strip_takes_them_off() -> None:
    text, sources = content_parts(cited("Set a TTL on every key. [1]"), "How do I set a TTL?")
    assert sources == "\n\n**Sources**\n- [1] [Caching with Redis](https://b.example/r/) — 2024-06-01"
    assert strip_sources(text + sources) == text
    assert strip_sources((text + sources).replace("\n", "\r\n")) == text.replace("\n", "\r\n")
    chinese_text, chinese_sources = content_parts(cited("设置 TTL。[1]"), "怎么设置 TTL？")
    assert chinese_sources.startswith("\n\n**来源**\n- [1] ")
    assert strip_sources(chinese_text + chinese_sources) == "设置 TTL。[1]"


def test_strip_leaves_other_assistant_messages_alone() -> None:
    for message in ["Plain words.", "A list:\n\n- one\n- two", "**Sources** are where? [1]"]:
        assert strip_sources(message) == message


@pytest.mark.parametrize("question", ["Who won?", "谁赢了？"])
def test_a_returned_refusal_keeps_only_the_refusal_sentence(question: str) -> None:
    closest = [{"title": "Near miss", "url": None, "date": "2022-01-28"}]
    refusal = Answer(refusal_text(question), [], True, question, "extractive", closest=closest)
    text, sources = content_parts(refusal, question)
    assert sources == "\n\n- Near miss — 2022-01-28"
    assert strip_sources(text + sources) == refusal_text(question)
    assert strip_sources(unresolved_text(question)) == unresolved_text(question)


def test_titles_and_urls_that_would_break_a_markdown_link_are_escaped() -> None:
    _, sources = content_parts(cited("x [1]", title="[Draft] a_b *c*", url="https://b.example/a (1)?q=<x>"), "x")
    assert r"[\[Draft\] a\_b \*c\*](<https://b.example/a (1)?q=%3Cx%3E>)" in sources
    _, unlinked = content_parts(cited("x [1]", url=None), "x")
    assert unlinked.endswith("- [1] Caching with Redis — 2024-06-01")


@pytest.mark.parametrize("text", ["", "  ", "One two  three.\n", "王泽锋获得了终身成就奖。[1] Next", "\n\nlead"])
def test_deltas_join_to_exactly_the_text(text: str) -> None:
    assert "".join(pieces(text)) == text
    assert all(len(piece.strip()) <= 12 for piece in pieces(text))


def test_model_names_hide_urls_and_paths_and_stay_unique() -> None:
    assert public_name("openai:gpt-4o-mini@http://10.0.0.5/v1") == "blograg:openai:gpt-4o-mini"
    assert public_name("llamacpp:/models/qwen2.5.gguf") == "blograg:llamacpp:qwen2.5.gguf"
    assert public_name("extractive:/home/ops/cal.json") == "blograg:extractive:cal.json"
    assert public_name("extractive") == "blograg:extractive"
    specs = ["openai:m@http://a/v1", "openai:m@http://b/v1"]
    settings = Settings(generator="extractive", allowed_generators=specs)
    table = model_table(settings)
    assert table == {
        "blograg": "extractive",
        "blograg:extractive": "extractive",
        "blograg:openai:m": specs[0],
        "blograg:openai:m-2": specs[1],
    }
    assert resolve_model("blograg:openai:m-2", settings) == specs[1] and resolve_model(specs[0], settings) == specs[0]
    with pytest.raises(ModelNotFoundError):
        resolve_model("openai:m@http://evil/v1", settings)


def test_app_errors_become_openai_errors_with_the_hint_in_the_message() -> None:
    body = {"error": "ValidationFailed", "message": "Invalid request: n: too big", "hint": "Send 1.", "details": []}
    assert openai_error(body, 422) == {
        "error": {
            "message": "Invalid request: n: too big. Fix: Send 1.",
            "type": "invalid_request_error",
            "param": None,
            "code": "validation_failed",
        }
    }
    limited = openai_error({"error": "RateLimitedError", "message": "Too many.", "hint": "Wait."}, 429)["error"]
    assert limited["type"] == "rate_limit_error" and limited["code"] == "rate_limit_exceeded"
    crashed = openai_error({"error": "InternalError", "message": "Unexpected.", "hint": ""}, 500)["error"]
    assert crashed == {"message": "Unexpected.", "type": "server_error", "param": None, "code": "internal"}


def openai_over(client: TestClient, key: str = "none") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{client.base_url}/v1", api_key=key, http_client=client, max_retries=0)


def test_rate_limit_and_body_limit_apply_to_v1(make_client: ClientFactory) -> None:
    client = make_client(rate_limit_per_minute=1, max_body_bytes=2048)
    oa = openai_over(client)
    with pytest.raises(openai.APIStatusError) as too_big:
        oa.chat.completions.create(model="blograg", messages=[{"role": "user", "content": "x" * 3000}])
    assert too_big.value.status_code == 413 and "RAG_MAX_BODY_BYTES" in too_big.value.message
    oa.models.list()
    with pytest.raises(openai.RateLimitError) as limited:
        oa.models.list()
    assert limited.value.response.headers["retry-after"] and "per minute" in limited.value.message


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (GeneratorError("The model server went away.", "Start it again."), "went away. Fix: Start it again."),
        (RuntimeError("boom"), "The answer failed: RuntimeError. Fix: See the server log."),
    ],
)
def test_a_failure_mid_stream_reaches_the_client_as_an_error(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch, failure: Exception, message: str
) -> None:
    client = make_client()
    engine = client.app.state.holder.current.engine  # type: ignore[attr-defined]

    def failing(*args: Any, **kwargs: Any) -> Any:
        yield {"event": "meta", "query": "q", "hits": []}
        raise failure

    monkeypatch.setattr(engine, "ask_stream", failing)
    stream = openai_over(client).chat.completions.create(
        model="blograg", messages=[{"role": "user", "content": "Anything?"}], stream=True
    )
    with pytest.raises(openai.APIError) as caught:
        list(stream)
    assert message in caught.value.message


def test_the_conversation_becomes_the_question_and_a_history_without_sources() -> None:
    text, sources = content_parts(cited("Set a TTL on every key. [1]"), "How do I set a TTL?")
    body = ChatCompletionRequest.model_validate(
        {
            "model": "blograg",
            "messages": [
                {"role": "system", "content": "Ignore the posts."},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "How do I set"}, {"type": "text", "text": "a TTL?"}],
                },
                {"role": "assistant", "content": text + sources},
                {"role": "assistant", "content": None, "tool_calls": []},
                {"role": "user", "content": "  Why does it matter?  "},
            ],
        }
    )
    request = ask_request(body, "extractive")
    assert request.question == "Why does it matter?" and request.generator == "extractive"
    assert request.history == (
        {"role": "user", "content": "How do I set\na TTL?"},
        {"role": "assistant", "content": text},
    )


def test_a_long_chat_keeps_its_latest_turns() -> None:
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"} for i in range(120)]
    body = ChatCompletionRequest.model_validate({"messages": [*turns, {"role": "user", "content": "last?"}]})
    history = ask_request(body, "extractive").history
    assert len(history) == MAX_HISTORY_TURNS and history[-1]["content"] == "turn 119"


HOSTILE_BODIES: list[Any] = [
    [],
    {"messages": "hello"},
    {"messages": [{"content": "no role"}]},
    {"messages": [{"role": "tool", "content": "x"}]},
    {"messages": [{"role": "user", "content": 3}]},
    {"messages": [{"role": "user", "content": [{"type": "text"}]}]},
    {"messages": [{"role": "user", "content": [["nested"]]}]},
    {"messages": [{"role": "user", "content": "\ud800"}]},
    {"messages": [{"role": "user", "content": "nul\u0000"}]},
    {"messages": [{"role": "user", "content": "x"}], "n": 3},
    {"messages": [{"role": "user", "content": "x"}], "model": 7},
    {"messages": [{"role": "user", "content": "x"}], "model": "m" * 500},
    {"messages": [{"role": "user", "content": "x"}], "stream": "sometimes"},
    {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y" * 9000}]},
    {"messages": [{"role": "assistant", "content": "x" * 9000}, {"role": "user", "content": "x"}]},
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_bad_bodies_get_a_4xx_in_openai_shape(client: TestClient, body: Any) -> None:
    response = client.post(
        "/v1/chat/completions", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert {"message", "type", "param", "code"} <= set(error) and " Fix: " in error["message"]
    if "`details`" in error["message"]:  # the hint says to fix the fields listed there
        assert error["param"] == error["details"][0]["field"] != "body"
    if error["param"] == "body":  # a body that is no request at all: the hint shows one
        assert '"messages": [{"role": "user"' in error["message"], error
    assert client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "redis ttl"}]}).is_success
