"""ask(): refusals, fallback when the LLM fails, follow-up rewriting, streaming events; the
Answerer's injected roles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rag.answering import Answerer, AskRequest
from rag.citations import CitationVerifier, Verified
from rag.errors import InputError
from rag.generators.base import Generator, create_generator
from rag.pipeline import Engine
from rag.rewrite import FollowUpRewriter, heuristic_rewrite, looks_like_follow_up
from rag.types import Chunk, Hit, Post
from tests.support.openai_server import base_url, openai_server


@pytest.fixture()
def llm_engine(real_engine: Engine) -> Iterator[tuple[Engine, Any]]:
    with openai_server() as server:
        settings = real_engine.settings.with_overrides(openai_base_url=base_url(server), llm_retries=0, llm_timeout=2)
        yield Engine(settings, embedder=real_engine.embedder), server


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
    answer = engine.ask(AskRequest("王泽锋获得了什么奖？", generator="openai:echo"))
    assert not answer.refused and answer.generator == "openai:echo"
    assert answer.citations and answer.citations[0].n == 1


@pytest.mark.parametrize("model", ["down", "garbage", "slow"])
def test_llm_failure_falls_back_to_extractive(llm_engine: tuple[Engine, Any], model: str) -> None:
    engine, _ = llm_engine
    answer = engine.ask(AskRequest("王泽锋获得了什么奖？", generator=f"openai:{model}"))
    assert answer.generator == f"extractive (fallback: openai:{model} failed)"
    # The fallback is the extractive answer itself, citations and all.
    extractive = engine.ask(AskRequest("王泽锋获得了什么奖？", generator="extractive"))
    assert not extractive.refused and answer.citations
    assert answer.answer == extractive.answer and answer.citations == extractive.citations


def test_llm_abstention_is_a_refusal(llm_engine: tuple[Engine, Any]) -> None:
    engine, _ = llm_engine
    answer = engine.ask(AskRequest("王泽锋获得了什么奖？", generator="openai:abstain"))
    assert answer.refused and answer.closest and answer.citations == []


def test_follow_up_is_rewritten_by_the_llm(llm_engine: tuple[Engine, Any]) -> None:
    engine, _ = llm_engine
    history = ({"role": "user", "content": "张磊是谁？"}, {"role": "assistant", "content": "阿里云专家 [1]"})
    answer = engine.ask(AskRequest("那他是哪一年出生的？", history=history, generator="openai:echo"))
    assert answer.query == "standalone: 那他是哪一年出生的？"


def test_follow_up_is_rewritten_by_the_heuristic(real_engine: Engine) -> None:
    history = ({"role": "user", "content": "张磊入选了 CNCF TOC 吗？"}, {"role": "assistant", "content": "是的 [1]"})
    answer = real_engine.ask(AskRequest("那他是哪一年出生的？", history=history))
    # The pronoun stands for the person the earlier question is about, not for the whole question.
    assert answer.query == "那张磊是哪一年出生的？"
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


# --- The Answerer with its roles injected: fast fakes, no index --------------------------------


class FakeRetriever:
    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits
        self.queries: list[tuple[str, int]] = []

    def search(self, query: str, top_k: int = 5, filters: Any = None) -> list[Hit]:
        self.queries.append((query, top_k))
        return self.hits[:top_k]


class FakeGenerators:
    """Scripted generators only; "extractive" (the fallback) is one too, so these tests are about
    the Answerer and not about how well the extractive generator answers."""

    default = "scripted:The TOC has eleven seats. [1]"

    def __init__(self) -> None:
        self.built: dict[str, Generator] = {}

    def get(self, spec: str | None = None) -> Generator:
        spec = spec or self.default
        script = "scripted:The TOC has eleven seats. [1]" if spec == "extractive" else spec
        self.built.setdefault(spec, create_generator(script))
        return self.built[spec]


class RecordingVerifier:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    def verify(self, draft: str, sources: list[Hit], quoted: bool, question: str = "") -> Verified:
        self.calls.append(quoted)
        return CitationVerifier().verify(draft, sources, quoted, question)


def toc_hit() -> Hit:
    text = "The TOC has eleven seats. It guides projects."
    return Hit(Chunk("a.md#0", "a.md", 0, text, "", 0, len(text)), Post("a.md", "TOC", text, language="en"), 1.0)


def fake_answerer() -> tuple[Answerer, FakeRetriever, FakeGenerators, RecordingVerifier]:
    retriever, generators, verifier = FakeRetriever([toc_hit()]), FakeGenerators(), RecordingVerifier()
    return Answerer(retriever, generators, verifier, FollowUpRewriter(), top_k=3), retriever, generators, verifier


def test_answerer_runs_the_injected_roles() -> None:
    answerer, retriever, _, verifier = fake_answerer()
    answer = answerer.ask(AskRequest("How many seats does the TOC have?"))
    assert not answer.refused and answer.citations[0].source == "a.md"
    assert retriever.queries == [("How many seats does the TOC have?", 3)]  # the answerer's default k
    assert verifier.calls == [False]  # an LLM's draft is a paraphrase: verified with embeddings allowed
    answerer.ask(AskRequest("How many seats does the TOC have?", k=1, generator="extractive"))
    assert retriever.queries[-1][1] == 1 and verifier.calls[-1] is True


def test_ask_is_the_last_event_of_stream() -> None:
    answerer, *_ = fake_answerer()
    request = AskRequest("How many seats does the TOC have?", stream=True)
    events = list(answerer.stream(request))
    assert [e["event"] for e in events][0] == "meta" and events[-1]["event"] == "answer"
    streamed, asked = events[-1]["answer"], answerer.ask(request)
    same = {"timings_ms": {}, "answer_id": ""}  # each answer is timed, and named, on its own
    assert streamed.to_json() | same == asked.to_json() | same
    assert streamed.answer_id != asked.answer_id


def test_a_failing_generator_falls_back_to_the_extractive_one() -> None:
    answerer, _, generators, verifier = fake_answerer()
    answer = answerer.ask(AskRequest("How many seats does the TOC have?", generator="scripted:!error"))
    assert answer.generator == "extractive (fallback: scripted:!error failed)"
    assert "extractive" in generators.built and verifier.calls == [True]


def test_an_unresolvable_follow_up_is_refused_without_searching() -> None:
    answerer, retriever, _, verifier = fake_answerer()
    answer = answerer.ask(AskRequest("Who develops it?"))
    assert answer.refused and answer.citations == [] and "refers to" in answer.answer
    assert retriever.queries == [] and verifier.calls == []
    chinese = answerer.ask(AskRequest("它是谁开发的？", history=({"role": "user", "content": "你好"},)))
    assert chinese.refused and "指的是什么" in chinese.answer


def test_a_resolved_follow_up_searches_for_the_earlier_topic() -> None:
    answerer, retriever, *_ = fake_answerer()
    history = ({"role": "user", "content": "What is the TOC?"}, {"role": "assistant", "content": "A committee. [1]"})
    answer = answerer.ask(AskRequest("How many seats does it have?", history=history))
    assert retriever.queries[-1][0] == answer.query == "How many seats does TOC have?"


# --- Follow-ups end to end: a real index over a few posts written for the test -----------------

QUILLON_ZH = """---
title: Quillon 简介
date: 2024-03-01
---
# Quillon 简介

Quillon 是一个高性能的服务网格数据面，用 eBPF 在内核中转发流量。

Quillon 由 Nimbus 实验室开发，并于 2023 年开源。它的控制面兼容 Istio。
"""
QUILLON_EN = """---
title: Meet Quillon
date: 2024-04-02
---
# Meet Quillon

Quillon is a high-performance service mesh data plane that forwards traffic in the kernel with eBPF.

Quillon is developed by Nimbus Labs and was open-sourced in 2023.
"""
BOREALIS = """---
title: Borealis 日志收集
date: 2024-05-03
---
# Borealis

Borealis 是一个日志收集工具，由 Aurora 团队维护。它把日志写入对象存储。
"""


@pytest.fixture(scope="module")
def follow_up_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from rag.config import Settings
    from rag.pipeline import ingest

    root = tmp_path_factory.mktemp("follow-ups")
    posts = root / "posts"
    posts.mkdir()
    for name, text in {"quillon.md": QUILLON_ZH, "quillon-en.md": QUILLON_EN, "borealis.md": BOREALIS}.items():
        (posts / name).write_text(text, encoding="utf-8")
    settings = Settings(index_dir=root / "index", posts=[posts], embedder="hashing")
    ingest(settings)
    return Engine(settings)


def conversation_of(engine: Engine, first: str) -> tuple[dict[str, str], ...]:
    answer = engine.ask(first)
    return ({"role": "user", "content": first}, {"role": "assistant", "content": answer.answer})


@pytest.mark.parametrize(
    ("first", "follow_up", "query", "fact"),
    [
        ("什么是 Quillon？", "它是谁开发的？", "Quillon是谁开发的？", "Nimbus 实验室开发"),
        ("什么是 Quillon？", "是谁开发的？", "Quillon 是谁开发的？", "Nimbus 实验室开发"),
        ("What is Quillon?", "Who develops it?", "Who develops Quillon?", "developed by Nimbus Labs"),
    ],
)
def test_a_follow_up_asks_about_the_earlier_topic(
    follow_up_engine: Engine, first: str, follow_up: str, query: str, fact: str
) -> None:
    history = conversation_of(follow_up_engine, first)
    answer = follow_up_engine.ask(AskRequest(follow_up, history=history))
    assert answer.query == query  # who develops the thing, not "what is it" again
    assert answer.refused or fact in answer.answer


def test_a_follow_up_in_english_is_answered(follow_up_engine: Engine) -> None:
    history = conversation_of(follow_up_engine, "What is Quillon?")
    answer = follow_up_engine.ask(AskRequest("Who develops it?", history=history))
    assert not answer.refused and "developed by Nimbus Labs" in answer.answer


@pytest.mark.parametrize("question", ["它是谁开发的？", "Who develops it?"])
def test_a_follow_up_without_an_earlier_topic_is_refused(follow_up_engine: Engine, question: str) -> None:
    answer = follow_up_engine.ask(question)
    assert answer.refused and answer.citations == [] and answer.query == question


def test_a_follow_up_about_a_person_in_the_sample_posts(real_engine: Engine) -> None:
    history = conversation_of(real_engine, "王泽锋是谁？")
    answer = real_engine.ask(AskRequest("他获得了什么奖？", history=history))
    assert answer.query == "王泽锋获得了什么奖？"
    assert answer.answer == real_engine.ask("王泽锋获得了什么奖？").answer  # the same as asked outright


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
        AskRequest("大家平时说的 Kubernetes 简称怎么写？", generator="scripted:大家平时说的 Kubernetes 简称是 K8s。")
    )
    assert not answer.refused and [c.source for c in answer.citations] == ["k8s.md"]
