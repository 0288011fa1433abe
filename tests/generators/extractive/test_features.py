"""The evidence signals: coverage, background-relative similarity, answer-type match."""

from __future__ import annotations

import numpy as np

from rag.generators.extractive.candidates import candidates_of
from rag.generators.extractive.features import Coverage, dense_features, dense_profile
from rag.generators.extractive.question import analyse
from tests.generators.extractive.helpers import close, hit, idf_over


def test_coverage_weighs_rare_terms_and_matches_chinese_as_substrings() -> None:
    idf = idf_over("调度器 运行 作业", "调度器 排队 作业", "网关 路由 流量")
    coverage = Coverage(analyse("网关调度器", idf))
    found = coverage.found("新的网关调度器支持配额")
    assert close(coverage.share(found), 1.0)
    assert coverage.share(coverage.found("网关很快")) > coverage.share(coverage.found("调度器很快"))


def test_similarity_is_judged_against_the_index_background() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = vectors[3]
    profile = dense_profile(query, vectors, [vectors[3], vectors[10]])
    assert profile.z(profile.hit_similarity[0]) > 2  # the query's own chunk stands out
    assert abs(profile.z(float(vectors[10] @ query))) < 3
    shifted = dense_profile(query, vectors * 0.5 + 0.5 * query, [vectors[3]])  # an embedder with a high floor
    assert shifted.z(shifted.hit_similarity[0]) > 2


def test_without_vectors_every_similarity_is_neutral() -> None:
    profile = dense_profile(None, None, [None, None])
    assert profile.hit_similarity == [0.0, 0.0] and profile.z(0.0) == 0.0


def test_passages_outside_the_embedded_pool_get_the_floor() -> None:
    cands = candidates_of(hit("First sentence here. Second sentence here. Third one too."), 0)
    dense_features(cands, {(0, 0): 2.0, (0, 1): -1.0}, floor=-1.0)
    by_text = {c.text: c.features for c in cands}
    assert by_text["First sentence here."]["sent_dense"] == 2.0
    assert by_text["First sentence here."]["sent_dense_rel"] == 0.0
    assert by_text["Third one too."]["sent_dense"] == -1.0
    pair = next(c for c in cands if c.sentences == 2 and c.position == 0)
    assert pair.features["sent_dense"] == 2.0  # a pair counts its better sentence


def test_the_heaviest_missing_term_is_what_an_unanswerable_question_lacks() -> None:
    idf = idf_over("alice joined in spring", "alice moved teams", "bob joined", "carol left", "dave stayed")
    coverage = Coverage(analyse("When was Alice born?", idf))
    assert coverage.heaviest_missing(coverage.found("Alice joined in spring.")) == 0.0  # 'born' is unknown
    coverage = Coverage(analyse("When did Alice join?", idf))
    assert coverage.heaviest_missing(coverage.found("Alice moved teams.")) > 0.0
    assert coverage.heaviest_missing(coverage.found("Alice joined in spring.")) == 0.0


def test_an_english_term_is_covered_by_its_chinese_rendering_when_the_index_lacks_it() -> None:
    idf = idf_over("王五 出生 于 北京", "王五 创立 公司", "网关 路由 流量")
    lexicon = {"born": ("出生", "诞生"), "compani": ("公司",)}  # "诞生" is in no post: not an alternate
    question = analyse("Where was 王五 born?", idf, lambda term: lexicon.get(term, ()))
    assert question.alternates[question.terms.index("born")] == ("出生",)
    coverage = Coverage(question)
    assert coverage.found("王五 1990 年出生于北京。") == {"王五", "born"}
    assert coverage.found("王五创立了公司。") == {"王五"}
    without = Coverage(analyse("Where was 王五 born?", idf))  # no lexicon: "born" is unknown, never covered
    assert without.found("王五 1990 年出生于北京。") == {"王五"}
