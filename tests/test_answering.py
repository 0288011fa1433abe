"""ask(): refusals, fallback when the LLM fails, follow-up rewriting, streaming events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rag.errors import InputError
from rag.pipeline import Engine
from rag.rewrite import heuristic_rewrite, looks_like_follow_up
from tests.support.openai_server import base_url, openai_server


@pytest.fixture()
def llm_engine(real_engine: Engine) -> Iterator[tuple[Engine, Any]]:
    with openai_server() as server:
        original = real_engine.settings
        real_engine.settings = original.with_overrides(openai_base_url=base_url(server), llm_retries=0, llm_timeout=2)
        real_engine.answerer._generators.clear()
        try:
            yield real_engine, server
        finally:
            real_engine.settings = original
            real_engine.answerer._generators.clear()


def test_answer_json_shape(real_engine: Engine) -> None:
    data = real_engine.ask("王泽锋获得了什么奖？").to_json()
    assert set(data) >= {"answer", "citations", "refused", "query", "generator", "timings_ms"}
    assert set(data["timings_ms"]) == {"retrieve", "generate", "total"}
    citation = data["citations"][0]
    assert set(citation) >= {"n", "source", "title", "url", "date", "heading", "quote"}
    assert citation["n"] == 1 and data["answer"].count("[1]") >= 1


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001])
def test_bad_questions_are_input_errors(real_engine: Engine, question: str) -> None:
    with pytest.raises(InputError):
        real_engine.ask(question)


def test_llm_answer_is_verified_and_cited(llm_engine: tuple[Engine, Any]) -> None:
    engine, _ = llm_engine
    answer = engine.ask("王泽锋获得了什么奖？", generator="openai:echo")
    assert not answer.refused and answer.generator == "openai:echo"
    assert answer.citations and answer.citations[0].n == 1


@pytest.mark.parametrize("model", ["down", "garbage", "slow"])
def test_llm_failure_falls_back_to_extractive(llm_engine: tuple[Engine, Any], model: str) -> None:
    engine, _ = llm_engine
    answer = engine.ask("王泽锋获得了什么奖？", generator=f"openai:{model}")
    assert answer.generator == f"extractive (fallback: openai:{model} failed)"
    # The fallback is the extractive answer itself, citations and all.
    extractive = engine.ask("王泽锋获得了什么奖？", generator="extractive")
    assert not extractive.refused and answer.citations
    assert answer.answer == extractive.answer and answer.citations == extractive.citations


def test_llm_abstention_is_a_refusal(llm_engine: tuple[Engine, Any]) -> None:
    engine, _ = llm_engine
    answer = engine.ask("王泽锋获得了什么奖？", generator="openai:abstain")
    assert answer.refused and answer.closest and answer.citations == []


def test_follow_up_is_rewritten_by_the_llm(llm_engine: tuple[Engine, Any]) -> None:
    engine, _ = llm_engine
    history = [{"role": "user", "content": "张磊是谁？"}, {"role": "assistant", "content": "阿里云专家 [1]"}]
    answer = engine.ask("那他是哪一年出生的？", history=history, generator="openai:echo")
    assert answer.query == "standalone: 那他是哪一年出生的？"


def test_follow_up_is_rewritten_by_the_heuristic(real_engine: Engine) -> None:
    history = [{"role": "user", "content": "张磊入选了 CNCF TOC 吗？"}, {"role": "assistant", "content": "是的 [1]"}]
    answer = real_engine.ask("那他是哪一年出生的？", history=history)
    assert answer.query.startswith("张磊入选了 CNCF TOC 吗？")
    assert not answer.refused and ("89" in answer.answer)


def test_heuristic_leaves_standalone_questions_alone() -> None:
    history = [{"role": "user", "content": "张磊是谁？"}]
    assert heuristic_rewrite("KubeSphere 社区在 2021 年组织了多少场 Meetup？", history).startswith("KubeSphere")
    assert looks_like_follow_up("and the year after?") and looks_like_follow_up("那他呢？")


def test_stream_events_in_order(real_engine: Engine) -> None:
    events = list(real_engine.ask_stream("王泽锋获得了什么奖？"))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "meta" and kinds[-1] == "answer" and "token" in kinds
    streamed = "".join(e["text"] for e in events if e["event"] == "token")
    assert "终身成就奖" in streamed


def test_prompt_injection_post_changes_nothing(tmp_path: Any) -> None:
    import shutil

    from rag.config import SAMPLE_POSTS_DIR, Settings
    from rag.pipeline import ingest
    from tests.conftest import FIXTURES

    posts = tmp_path / "posts"
    shutil.copytree(SAMPLE_POSTS_DIR, posts)
    shutil.copy(FIXTURES / "posts" / "prompt-injection.md", posts)
    settings = Settings(index_dir=tmp_path / "idx", posts=[posts], embedder="hashing")
    ingest(settings)
    engine = Engine(settings)
    assert any(h.post.source == "prompt-injection.md" for h in engine.search("ignore previous instructions", 3))
    answer = engine.ask("王泽锋获得了什么奖？")
    assert not answer.refused and "王泽锋" in answer.answer
    assert all(c.source != "prompt-injection.md" for c in answer.citations)


def test_short_standalone_question_is_not_treated_as_a_follow_up() -> None:
    history = [{"role": "user", "content": "张磊是谁？"}]
    assert heuristic_rewrite("Kubernetes 是什么？", history) == "Kubernetes 是什么？"
    assert heuristic_rewrite("为什么？", history) == "张磊是谁？ 为什么？"


def test_an_llm_sentence_restating_the_question_keeps_its_citation(tmp_path: Any) -> None:
    from rag.config import Settings
    from rag.pipeline import ingest

    posts = tmp_path / "posts"
    posts.mkdir()
    text = "Kubernetes 通常缩写为 K8s，是一个开源的容器编排平台。\n\n它由很多组件构成。\n"
    (posts / "k8s.md").write_text("# Kubernetes\n\n" + text, encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "idx", posts=[posts], embedder="hashing")
    ingest(settings)
    answer = Engine(settings).ask(
        "大家平时说的 Kubernetes 简称怎么写？", generator="scripted:大家平时说的 Kubernetes 简称是 K8s。"
    )
    assert not answer.refused and [c.source for c in answer.citations] == ["k8s.md"]
