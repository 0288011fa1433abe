"""The official `openai` package against /v1 on a real uvicorn, configured as `rag serve` runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from api.app import create_app
from rag.config import Settings
from tests.api.helpers import live_server
from tests.support.openai_server import base_url, openai_server

pytestmark = pytest.mark.slow
KEY = "test-key-123"
PRIVATE_SPEC = "openai:gpt-4o-mini@http://10.9.9.9:8080/v1"  # enabled, never called here
REDIS = "How do I set a TTL in Redis?"


@pytest.fixture(scope="module")
def server(api_settings: Settings) -> Iterator[str]:
    settings = api_settings.model_copy(update={"api_key": KEY, "allowed_generators": [PRIVATE_SPEC]})
    with live_server(create_app(settings), settings) as url:
        yield url


@pytest.fixture()
def client(server: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{server}/v1", api_key=KEY, max_retries=0, timeout=60) as client:
        yield client


def ask_json(server: str, question: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {KEY}"}
    return httpx.post(f"{server}/ask", json={"question": question}, headers=headers, timeout=60).json()


def user(content: Any) -> Any:
    return {"role": "user", "content": content}


def test_a_completion_carries_the_cited_answer_and_its_sources(server: str, client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="blograg", messages=[user(REDIS)])
    expected = ask_json(server, REDIS)
    assert completion.id.startswith("chatcmpl-") and len(completion.id) == len("chatcmpl-") + 32
    assert completion.object == "chat.completion" and completion.model == "blograg"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content or ""
    # The same verified answer as POST /ask, then its sources as Markdown links.
    assert content.startswith(expected["answer"] + "\n\n**Sources**\n- [1] [Caching with Redis](")
    assert "(https://blog.example.com/caching-with-redis/) — 2024-06-01" in content
    extra = completion.model_extra or {}
    assert extra["citations"] == expected["citations"] and extra["refused"] is False
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_streamed_deltas_join_to_the_non_streamed_content(client: openai.OpenAI) -> None:
    messages = [{"role": "system", "content": "Answer like a pirate."}, user([{"type": "text", "text": REDIS}])]
    whole = client.chat.completions.create(model="blograg", messages=messages)
    stream = client.chat.completions.create(
        model="blograg", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({chunk.id for chunk in chunks}) == 1 and chunks[0].object == "chat.completion.chunk"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content and len([c for c in chunks if c.choices]) > 3
    final = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(final) == 1 and (final[0].model_extra or {})["citations"] == (whole.model_extra or {})["citations"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None  # include_usage: the last chunk


def test_a_follow_up_resolves_its_pronoun_from_the_first_turn(server: str, client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="blograg", messages=[user("王泽锋是谁？")])
    said = first.choices[0].message.content or ""
    assert "**来源**" in said  # the client sends the sources list back; the server strips it
    messages = [user("王泽锋是谁？"), {"role": "assistant", "content": said}, user("他获得了什么奖？")]
    follow_up = client.chat.completions.create(model="blograg", messages=messages)
    extra = follow_up.model_extra or {}
    assert extra["query"] == "王泽锋获得了什么奖？" and extra["refused"] is False
    outright = ask_json(server, "王泽锋获得了什么奖？")
    assert (follow_up.choices[0].message.content or "").startswith(outright["answer"] + "\n\n**来源**\n")


def test_an_unanswerable_question_gets_the_refusal_and_the_closest_posts(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="blograg", messages=[user("谁是 2019 年的诺贝尔文学奖得主？")])
    content = completion.choices[0].message.content or ""
    extra = completion.model_extra or {}
    assert extra["refused"] is True and extra["citations"] == [] and extra["closest"]
    assert content.startswith("这些文章没有提供回答这个问题所需的信息。以下是最接近的文章：\n\n- ")
    assert extra["closest"][0]["title"] in content


def test_a_bad_key_is_an_authentication_error(server: str) -> None:
    with openai.OpenAI(base_url=f"{server}/v1", api_key="wrong", max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError) as caught:
            bad.chat.completions.create(model="blograg", messages=[user(REDIS)])
        with pytest.raises(openai.AuthenticationError):
            bad.models.list()
    assert caught.value.status_code == 401
    assert "The API key is wrong" in caught.value.message and "RAG_API_KEY" in caught.value.message


def test_an_unknown_model_is_not_found_and_names_the_models(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[user(REDIS)])
    body: Any = caught.value.body
    assert body["code"] == "model_not_found" and "blograg" in body["message"] and "GET /v1/models" in body["message"]
    assert "10.9.9.9" not in body["message"]


def test_models_lists_the_default_and_the_enabled_profiles_without_their_urls(client: openai.OpenAI) -> None:
    models = client.models.list()
    ids = [model.id for model in models]
    assert ids == ["blograg", "blograg:extractive", "blograg:openai:gpt-4o-mini"]
    assert all(model.object == "model" and model.owned_by == "blograg" for model in models)
    completion = client.chat.completions.create(model="blograg:extractive", messages=[user(REDIS)])
    assert completion.model == "blograg:extractive" and "[1]" in (completion.choices[0].message.content or "")


def test_bad_requests_are_openai_errors_with_the_fix(client: openai.OpenAI) -> None:
    cases: list[Any] = [
        [{"role": "assistant", "content": "Hello"}],  # no question at the end
        [user([{"type": "image_url", "image_url": {"url": "http://x/a.png"}}])],
        [user("x" * 2001)],
        [user("   ")],
    ]
    for messages in cases:
        with pytest.raises(openai.UnprocessableEntityError) as caught:
            client.chat.completions.create(model="blograg", messages=messages)
        assert " Fix: " in caught.value.message
    assert client.chat.completions.create(model="blograg", messages=[user(REDIS)]).choices  # still serving


def test_the_readme_snippet_prints_a_cited_answer(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- openai-snippet -->")[1].split("<!-- /openai-snippet -->")[0]
    code = block.split("```python\n")[1].split("```")[0]
    assert 'base_url="http://127.0.0.1:8000/v1"' in code and 'api_key="any"' in code
    exec(code.replace("http://127.0.0.1:8000", server).replace('api_key="any"', f'api_key="{KEY}"'), {})
    printed = capsys.readouterr().out
    assert "[1]" in printed and "**来源**\n- [1] 华为云王泽锋荣获 CNCF 终身成就奖" in printed


def test_a_generator_profile_answers_under_its_model_name(api_settings: Settings) -> None:
    with openai_server() as llm:
        spec = f"openai:echo@{base_url(llm)}"
        settings = api_settings.model_copy(update={"allowed_generators": [spec], "llm_retries": 0, "llm_timeout": 20})
        with (
            live_server(create_app(settings), settings) as url,
            openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60) as client,
        ):
            assert "blograg:openai:echo" in [model.id for model in client.models.list()]
            first = client.chat.completions.create(model="blograg:openai:echo", messages=[user(REDIS)])
            said = first.choices[0].message.content or ""
            assert "[1]" in said and "\n\n**Sources**\n- [1] " in said
            messages = [user(REDIS), {"role": "assistant", "content": said}, user("Why does it matter?")]
            stream = client.chat.completions.create(model="blograg:openai:echo", messages=messages, stream=True)
            streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert "[1]" in streamed
    bodies = [request["body"] for request in llm.requests]
    assert bodies and all(body["model"] == "echo" for body in bodies)  # the profile's model answered
    rewrites = [b["messages"][-1]["content"] for b in bodies if "Standalone query" in b["messages"][-1]["content"]]
    # The follow-up's history reached the model as it was said, without the sources list appended to it.
    assert rewrites and f"assistant: {said.split(chr(10))[0][:100]}" in rewrites[0] and "**Sources**" not in rewrites[0]
