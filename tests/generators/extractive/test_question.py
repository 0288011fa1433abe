"""Question analysis: index-weighted terms, answer types, junk."""

from __future__ import annotations

import pytest

from rag.generators.extractive.question import analyse, answer_type, idf_from_counts, is_junk
from tests.generators.extractive.helpers import idf_over


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("When was the project started?", "time"),
        ("项目是哪一年开始的？", "time"),
        ("How many maintainers does it have?", "count"),
        ("社区有多少位贡献者？", "count"),
        ("Who wrote the release notes?", "who"),
        ("这篇文章是谁写的？", "who"),
        ("Which features are new?", "list"),
        ("有哪些新功能？", "list"),
        ("What does the scheduler do?", ""),
    ],
)
def test_answer_type_comes_from_the_question_words(text: str, kind: str) -> None:
    assert answer_type(text) == kind


def test_rare_terms_weigh_more_and_unknown_terms_weigh_as_the_rarest() -> None:
    idf = idf_over("the scheduler runs jobs", "the scheduler queues jobs", "a gateway routes traffic")
    q = analyse("Does the gateway scheduler support latency?", idf)
    weights = dict(zip(q.terms, q.weights, strict=True))
    assert weights["gateway"] > weights["scheduler"]
    assert weights["latency"] == max(weights.values())  # no post mentions it: what they would have to say
    assert 0 < q.unknown_share < 1


@pytest.mark.parametrize("text", ["?", "xxxxxxxx", "asdfghjkl", "qwrtzp", "???!!!", "   "])
def test_junk_has_no_answer(text: str) -> None:
    assert is_junk(analyse(text, idf_over("the scheduler runs jobs")))


@pytest.mark.parametrize("text", ["scheduler", "What is 1.2?", "调度器是什么？", "k8s"])
def test_real_questions_are_not_junk(text: str) -> None:
    assert not is_junk(analyse(text, idf_over("the scheduler runs jobs")))


def test_idf_is_bm25s() -> None:
    assert idf_from_counts(1, 10) > idf_from_counts(5, 10) > 0


def test_a_lone_chinese_character_is_as_rare_as_the_chunks_that_hold_it() -> None:
    from rag.generators.extractive.question import document_frequencies

    texts = ["他在这里工作", "我们在那里见面", "她得了一个奖"]
    tokens = [["工作"], ["见面"], ["得"]]
    df = document_frequencies(tokens, texts)
    assert df["里"] == 2 and df["奖"] == 1  # by characters, not by the segmenter's tokens
    assert df["工作"] == 1 and "得" in df  # words by tokens; a single-character token by its text
