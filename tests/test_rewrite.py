"""Follow-up rewriting: topics of earlier questions, pronouns and zero anaphora, unresolvable follow-ups,
and the LLM rewrite with its fallback. Fast: no index (jieba only)."""

from __future__ import annotations

import pytest

from rag.rewrite import (
    FollowUpRewriter,
    Rewrite,
    heuristic_rewrite,
    looks_like_follow_up,
    previous_topic,
    resolve_follow_up,
    topic,
)
from rag.types import Turn


def after(question: str, answer: str = "An answer. [1]") -> list[Turn]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


@pytest.mark.parametrize(
    ("earlier", "follow_up", "query"),
    [
        ("什么是 Quillon？", "它是谁开发的？", "Quillon是谁开发的？"),  # pronoun
        ("什么是 Quillon？", "是谁开发的？", "Quillon 是谁开发的？"),  # zero anaphora: no subject
        ("What is Quillon?", "Who develops it?", "Who develops Quillon?"),
        ("What is Quillon?", "What is its license?", "What is Quillon's license?"),
        ("What is Quillon?", "Does it support Redis?", "Does Quillon support Redis?"),
        ("什么是服务网格？", "它有哪些实现？", "服务网格有哪些实现？"),  # a noun phrase when there is no name
        ("What is a service mesh?", "Who invented it?", "Who invented service mesh?"),  # English content words
        (
            "How do I tune Postgres autovacuum?",
            "Which of its settings matter?",
            "Which of Postgres autovacuum's settings matter?",
        ),
    ],
)
def test_a_pronoun_or_missing_subject_becomes_the_earlier_topic(earlier: str, follow_up: str, query: str) -> None:
    assert resolve_follow_up(follow_up, after(earlier)) == Rewrite(query)


def test_a_personal_pronoun_prefers_the_person_among_the_earlier_names() -> None:
    assert heuristic_rewrite("那他是哪一年出生的？", after("CNCF TOC 选了李明吗？")) == "那李明是哪一年出生的？"
    assert topic("CNCF TOC 选了李明吗？") == "CNCF TOC"  # without a person asked for, the first name
    assert heuristic_rewrite("它有多少个席位？", after("CNCF TOC 选了李明吗？")) == "CNCF TOC有多少个席位？"


@pytest.mark.parametrize(
    ("earlier", "follow_up", "query"),
    [
        ("What award did Quillon's founder receive?", "Where was it given?", "Where was Quillon award given?"),
        ("李明获得了什么奖？", "它是在哪里颁发的？", "李明奖是在哪里颁发的？"),
        ("Quillon 是哪家公司开发的？", "它总部在哪里？", "Quillon公司总部在哪里？"),
        ("李明获得了什么奖？", "他是哪一年出生的？", "李明是哪一年出生的？"),  # a person: no thing added
        ("What year was Quillon released?", "Who develops it?", "Who develops Quillon?"),  # a year is no thing
    ],
)
def test_it_stands_for_the_thing_the_earlier_question_asked_about(earlier: str, follow_up: str, query: str) -> None:
    assert heuristic_rewrite(follow_up, after(earlier)) == query


def test_the_rarest_name_in_the_index_is_the_topic() -> None:
    rarity = {"alpha": 1.0, "beta": 3.0}.get
    assert topic("Does Alpha run on Beta?", rarity) == "Beta"
    assert topic("Does Alpha run on Beta?") == "Alpha"


def test_the_topic_skips_earlier_follow_ups_that_have_none() -> None:
    history = after("什么是 Quillon？") + after("它是谁开发的？")
    assert previous_topic(history) == "Quillon"
    assert heuristic_rewrite("它支持哪些协议？", history) == "Quillon支持哪些协议？"


def test_a_question_with_nothing_of_its_own_reuses_the_whole_earlier_question() -> None:
    assert heuristic_rewrite("为什么？", after("李明是谁？")) == "李明是谁？ 为什么？"
    assert heuristic_rewrite("那么 2022 年呢？", after("社区在 2021 年组织了多少场活动？")).startswith("社区在 2021")


@pytest.mark.parametrize(
    "question",
    ["KubeSphere 社区在 2021 年组织了多少场 Meetup？", "Kubernetes 是什么？", "缓存是什么？", "What is a cache?"],
)
def test_standalone_questions_are_left_alone(question: str) -> None:
    assert resolve_follow_up(question, after("李明是谁？")) == Rewrite(question)


@pytest.mark.parametrize(
    "question", ["它是谁开发的？", "Who develops it?", "它的作者是谁？", "是谁开发的？", "为什么？"]
)
def test_a_follow_up_nothing_earlier_resolves_is_unresolved(question: str) -> None:
    assert resolve_follow_up(question, None) == Rewrite(question, resolved=False)
    assert not resolve_follow_up(question, after("你好")).resolved  # an earlier turn without a topic


@pytest.mark.parametrize(
    "question",
    [
        "How do I set a TTL in Redis so it expires?",  # the pronoun points inside the question
        "Is it possible to run postgres on a laptop?",  # "it" stands for nothing
        "What does this blog cover?",
        "王泽锋获得了什么奖？",
    ],
)
def test_a_pronoun_without_history_is_fine_when_the_question_stands_alone(question: str) -> None:
    assert resolve_follow_up(question, None) == Rewrite(question)


def test_follow_up_detection() -> None:
    assert looks_like_follow_up("and the year after?") and looks_like_follow_up("那他呢？")
    assert looks_like_follow_up("是谁开发的？") and not looks_like_follow_up("缓存是什么？")


class FakeLlm:
    def __init__(self, answer: str | None = "standalone", fail: bool = False) -> None:
        self.answer, self.fail, self.calls = answer, fail, 0

    def __call__(self, question: str, history: list[Turn]) -> str | None:
        self.calls += 1
        if self.fail:
            raise RuntimeError("model down")
        return self.answer


def test_the_llm_rewrites_when_there_is_history_and_the_heuristic_stands_in() -> None:
    rewriter = FollowUpRewriter()
    history = after("What is Quillon?")
    assert rewriter.rewrite("Who develops it?", history, FakeLlm()) == Rewrite("standalone")
    assert rewriter.rewrite("Who develops it?", history, FakeLlm(fail=True)) == Rewrite("Who develops Quillon?")
    assert rewriter.rewrite("Who develops it?", history, FakeLlm(answer="")) == Rewrite("Who develops Quillon?")
    assert rewriter.rewrite("Who develops it?", history, None) == Rewrite("Who develops Quillon?")


def test_the_llm_is_not_asked_to_resolve_what_nothing_resolves() -> None:
    llm = FakeLlm()
    assert FollowUpRewriter().rewrite("Who develops it?", [], llm) == Rewrite("Who develops it?", resolved=False)
    assert llm.calls == 0


@pytest.mark.parametrize(
    "question", ["他获得了什么奖？", "它支持哪些协议？", "Where does he work now?", "Which of its settings matter?"]
)
def test_a_pronoun_that_must_stand_for_something_needs_a_name_without_history(question: str) -> None:
    assert not resolve_follow_up(question, None).resolved


@pytest.mark.parametrize(
    "question",
    [
        "一个系统没人插手也能自己从故障里恢复过来，它背后靠的是什么机制？",
        "Which variable did the malicious crate check before downloading its payload?",
    ],
)
def test_a_pronoun_that_stands_for_something_in_the_question_itself_is_no_follow_up(question: str) -> None:
    assert resolve_follow_up(question, None) == Rewrite(question)
    assert resolve_follow_up(question, after("What is Quillon?")) == Rewrite(question)
