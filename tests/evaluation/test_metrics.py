from __future__ import annotations

import math

import pytest

from rag.evaluation.metrics import (
    SUPPORT_THRESHOLD,
    citation_precision,
    citation_recall,
    distinct_posts,
    faithfulness,
    hit_at,
    latency,
    ndcg_at,
    reciprocal_rank,
    relevance,
    retrieval_values,
    score_question,
    sources_found,
    summarise,
    summarise_by_kind,
)
from rag.evaluation.records import Cited

from .fakes import question, record

# b, a, a (repeat), c, d: after de-duplication the posts rank b=1, a=2, c=3, d=4.
RANKING = ["b.md", "a.md", "a.md", "c.md", "d.md"]
EXPECTED = ["a.md", "d.md"]


def test_ranking_is_deduplicated_at_post_level() -> None:
    assert distinct_posts(RANKING) == ["b.md", "a.md", "c.md", "d.md"]
    assert relevance(RANKING, EXPECTED) == [False, True, False, True]


def test_hit_at_k_and_mrr() -> None:
    rel = relevance(RANKING, EXPECTED)
    assert hit_at(rel, 1) == 0.0
    assert hit_at(rel, 2) == 1.0
    assert reciprocal_rank(rel) == 0.5
    assert reciprocal_rank([False, False, False]) == 0.0
    assert reciprocal_rank([False, False, True]) == pytest.approx(1 / 3)


def test_ndcg_exact_value() -> None:
    rel = relevance(RANKING, EXPECTED)
    # DCG = 1/log2(3) + 1/log2(5); ideal = 1/log2(2) + 1/log2(3)
    assert ndcg_at(rel, 2, 10) == pytest.approx(0.6509209, abs=1e-6)
    assert ndcg_at(rel, 2, 10) == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3)))
    assert ndcg_at([True, True], 2, 10) == 1.0
    assert ndcg_at([False, True], 2, 1) == 0.0  # the relevant post sits below the cut-off
    assert ndcg_at([False, False], 0, 10) == 0.0


def test_retrieval_values_together() -> None:
    values = retrieval_values(RANKING, EXPECTED)
    assert values["hit@1"] == 0.0 and values["hit@5"] == 1.0
    assert values["mrr"] == 0.5
    assert values["all_sources@5"] == 1.0
    assert sources_found(RANKING, EXPECTED, 3) == [True, False]
    assert retrieval_values(RANKING, ["a.md", "z.md"])["all_sources@5"] == 0.0


def test_expected_posts_may_omit_folder_or_extension() -> None:
    values = retrieval_values(["2021/x.html", "2021/a.md"], ["a"])
    assert values["hit@1"] == 0.0 and values["mrr"] == 0.5


def test_citation_precision_and_recall() -> None:
    assert citation_precision(["a.md", "a.md", "c.md"], ["a.md", "b.md"]) == 0.5
    assert citation_recall(["a.md", "a.md", "c.md"], ["a.md", "b.md"]) == 0.5
    assert citation_precision([], ["a.md"]) is None
    assert citation_recall(["a.md"], []) is None


def test_faithfulness_counts_supported_cited_sentences() -> None:
    first, second = "CNCF 成立于 2015 年 7 月，隶属于 Linux 基金会", "KubeSphere 在全球已被下载 70w 次"
    citations = [Cited(1, "a.md", first, support=first), Cited(2, "b.md", second, support=second)]
    answer = "CNCF 成立于 2015 年。[1] 张磊出生于 1989 年，是 Kubernetes 维护者[2]。天空是蓝色的。"
    # sentence 1 supported by [1]; sentence 2 cites [2] which says nothing of it; sentence 3 cites nothing
    assert faithfulness(answer, citations) == pytest.approx(1 / 3)
    assert faithfulness("", citations) is None
    assert 0 < SUPPORT_THRESHOLD <= 1


def test_answerable_question_scores_and_failures() -> None:
    q = question(sources=["a.md"], facts=["2015", "KubeEdge|边缘"])
    rec = record(
        q,
        ["b.md", "c.md", "d.md", "e.md", "f.md", "a.md"],
        "CNCF 成立于 2015 年。[1]",
        cited=[(1, "b.md", "CNCF 成立于 2015 年")],
    )
    score = score_question(rec)
    assert score.values["hit@5"] == 0.0 and score.values["mrr"] == pytest.approx(1 / 6)
    assert score.values["answer_contains"] == 0.0
    assert score.missing == ["KubeEdge|边缘"]
    assert score.values["citation_precision"] == 0.0 and score.values["citation_recall"] == 0.0
    assert score.values["false_refusal_rate"] == 0.0 and score.values["refusal_accuracy"] is None
    assert score.failures == [
        "source not in top 5: a.md",
        "missing fact: KubeEdge|边缘",
        "cited a wrong post: b.md",
    ]
    assert not score.passed


def test_a_good_answer_passes() -> None:
    q = question(sources=["a.md"], facts=["2015"])
    rec = record(q, ["a.md"], "CNCF 成立于 2015 年。[1]", cited=[(1, "a.md", "CNCF 成立于 2015 年 7 月")])
    score = score_question(rec)
    assert score.passed, score.failures
    assert score.values["answer_contains"] == 1.0 and score.values["faithfulness"] == 1.0


def test_refusals() -> None:
    refused_answerable = score_question(record(question(facts=["x"]), ["a.md"], "不知道", refused=True))
    assert refused_answerable.values["false_refusal_rate"] == 1.0
    assert refused_answerable.values["answer_contains"] == 0.0
    assert refused_answerable.failures == ["refused an answerable question"]
    unanswerable = question("u", sources=[], kind="unanswerable")
    good = score_question(record(unanswerable, ["a.md"], "不知道", refused=True))
    bad = score_question(record(unanswerable, ["a.md"], "是 1990 年。[1]", cited=[(1, "a.md", "1990")]))
    assert good.values["refusal_accuracy"] == 1.0 and good.passed
    assert good.values["hit@5"] is None  # no relevant post: retrieval metrics do not apply
    assert bad.values["refusal_accuracy"] == 0.0
    assert bad.failures == ["answered an unanswerable question"]


def test_summary_averages_only_where_a_metric_applies() -> None:
    scores = [
        score_question(record(question("a", facts=["x"]), ["a.md"], "x")),
        score_question(record(question("b", facts=["y"], kind="list"), ["z.md"], "no")),
        score_question(record(question("u", sources=[], kind="unanswerable"), [], "no", refused=True)),
    ]
    summary = summarise(scores)
    assert summary["questions"] == 3 and summary["answerable"] == 2 and summary["unanswerable"] == 1
    assert summary["hit@5"] == 0.5
    assert summary["answer_contains"] == 0.5
    assert summary["refusal_accuracy"] == 1.0
    assert summary["false_refusal_rate"] == 0.0
    assert summary["citation_precision"] is None  # nobody cited anything
    by_kind = summarise_by_kind(scores)
    assert set(by_kind) == {"factual", "list", "unanswerable"}
    assert by_kind["factual"]["hit@5"] == 1.0 and by_kind["list"]["hit@5"] == 0.0


def test_latency_percentiles_per_stage() -> None:
    records = [
        record(question(str(i)), timings={"total": float(ms), "retrieve": 1.0}) for i, ms in enumerate([10, 20, 30, 40])
    ]
    spread = latency(records)
    assert spread["total"]["p50"] == 25.0
    assert spread["total"]["p95"] == pytest.approx(38.5)
    assert spread["total"]["max"] == 40.0 and spread["total"]["n"] == 4
    assert spread["retrieve"]["p95"] == 1.0
