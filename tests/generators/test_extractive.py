"""The no-model answerer on the bundled posts, with the real embedder: facts with the right
citations, refusals for what the posts never say, both sides of a conflict."""

from __future__ import annotations

import pytest

from rag.pipeline import Engine
from tests.support.samples import P000, P001, P002, P003, P004

# (question, facts the answer must contain — "a|b" means either, posts that may be cited)
ANSWERABLE = [
    ("王泽锋获得了什么奖？", ["终身成就奖"], {P000}),
    ("王泽锋在哪次大会上获得终身成就奖？", ["KubeCon"], {P000}),
    ("谁是中国首位 Kubernetes Maintainer？", ["王泽锋"], {P000}),
    ("王泽锋哪一年当选 CNCF TOC 副主席？", ["2025"], {P000}),
    ("KubeEdge 是什么项目？", ["边缘计算"], {P000}),
    ("Volcano 是什么？", ["批量计算"], {P000}),
    ("Karmada 有多少公开生产落地用户？", ["40"], {P000}),
    ("张磊是哪一年出生的？", ["89|1989"], {P001, P002}),
    ("张磊于哪一年被推举为 CNCF 官方大使？", ["2016"], {P001, P002}),
    ("张磊在 CNCF App Delivery SIG 担任什么角色？", ["Co-chair|co-chair"], {P001, P002}),
    ("KubeSphere 社区衍生出了哪些开源项目？", ["KubeKey", "OpenELB", "OpenFunction"], {P003}),
    ("KubeSphere 在全球被下载了多少次？", ["70w"], {P003}),
    ("2021 年 KubeSphere 社区组织了多少场线下 Meetup？", ["5 场"], {P003}),
    ("KubeSphere 社区联合谁推出了云原生实战课程？", ["尚硅谷"], {P003}),
    ("2021 年有多少位突出贡献者入选 KubeSphere Member？", ["12"], {P003}),
    ("2021 年诞生了多少位 KubeSphere Ambassador？", ["4 位"], {P003}),
    ("2021 年新增了多少位 KubeSphere Contributor？", ["72"], {P003}),
    ("KubeSphere 在 2022 年计划发布哪些版本？", ["v3.3", "v4.0"], {P003}),
    ("《Kubernetes：从集市联邦到AI新纪元》的作者是谁？", ["Antonio Ojea"], {P004}),
    ("Kubernetes 的特别兴趣小组有哪些例子？", ["SIG-Network|SIG-Node"], {P004}),
    ("Who received the CNCF Lifetime Achievement Award?", ["王泽锋"], {P000}),
]
UNANSWERABLE = [
    "KubeSphere 的创始人是谁？",
    "What is the capital of France?",
    "王泽锋的妻子叫什么名字？",
    "红烧肉怎么做才好吃？",
]
# Near-topic questions ("王泽锋是哪一年出生的？": the person is there, the fact is not) are measured
# by the sample gate (eval/questions/sample.jsonl) with the model fitted without the bundled posts,
# not asserted one by one: the calibrated answerer refuses only some of them (README, Quality).


def contains(answer: str, fact: str) -> bool:
    return any(alt.lower() in answer.lower() for alt in fact.split("|"))


@pytest.mark.slow
@pytest.mark.parametrize(("question", "facts", "posts"), ANSWERABLE, ids=[q for q, _, _ in ANSWERABLE])
def test_answers_contain_the_facts_with_right_citations(
    real_engine: Engine, question: str, facts: list[str], posts: set[str]
) -> None:
    answer = real_engine.ask(question)
    assert not answer.refused, f"refused: {answer.to_json()}"
    for fact in facts:
        assert contains(answer.answer, fact), f"{fact!r} missing from {answer.answer!r}"
    cited = {c.source for c in answer.citations}
    assert cited and cited <= posts | {P001, P002} & posts or cited & posts, (cited, posts)
    assert cited & posts
    for citation in answer.citations:
        post = real_engine.index.posts[citation.source]
        assert post.text[citation.start : citation.end] == citation.quote


@pytest.mark.slow
@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_questions_are_refused(real_engine: Engine, question: str) -> None:
    answer = real_engine.ask(question)
    assert answer.refused, answer.answer
    assert answer.citations == [] and answer.closest


@pytest.mark.slow
def test_conflicting_posts_are_both_cited_newest_first(real_engine: Engine) -> None:
    answer = real_engine.ask("CNCF TOC 有多少个席位？")
    assert not answer.refused
    assert "11" in answer.answer and "9" in answer.answer
    sources = [c.source for c in answer.citations]
    assert P001 in sources and P002 in sources
    dated = [c.date for c in answer.citations if c.date]
    assert dated == sorted(dated, reverse=True)


@pytest.mark.slow
def test_refusal_is_in_the_question_language(real_engine: Engine) -> None:
    assert "没有" in real_engine.ask("红烧肉怎么做才好吃？").answer
    assert "don't say" in real_engine.ask("What is the capital of France?").answer
