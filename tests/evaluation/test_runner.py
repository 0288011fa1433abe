from __future__ import annotations

from rag.errors import GeneratorError
from rag.evaluation.runner import SEARCH_DEPTH, run_eval

from .fakes import FakeEngine, make_answer, make_citation, make_hit, question

Q_ANSWERED = question("a", sources=["a.md"], facts=["2015"], text="CNCF 成立于哪一年？")
Q_NO_HITS = question("b", sources=["b.md"], facts=["KubeEdge"], text="哪个项目毕业了？")
Q_BROKEN = question("c", sources=["a.md"], facts=["x"], text="坏掉的问题？")


def engine() -> FakeEngine:
    a_hits = [make_hit("z.md", "无关"), make_hit("a.md", "CNCF 成立于 2015 年 7 月，隶属于 Linux 基金会", 3)]
    return FakeEngine(
        {
            Q_ANSWERED.question: make_answer(
                "CNCF 成立于 2015 年。[1]", [make_citation(1, "a.md", "CNCF 成立于 2015 年", 3)], a_hits
            ),
            # An answer without hits of its own: the runner searches for the ranking itself.
            Q_NO_HITS.question: make_answer("不知道", refused=True),
            Q_BROKEN.question: GeneratorError("the model server is down", "start it"),
        },
        search_hits=[make_hit(f"p{i}.md") for i in range(12)] + [make_hit("b.md")],
    )


def test_records_come_from_the_answer_and_fall_back_to_search() -> None:
    fake = engine()
    seen: list[tuple[int, int, str]] = []
    run = run_eval(
        fake,
        [Q_ANSWERED, Q_NO_HITS, Q_BROKEN],
        name="x",
        generator="extractive",
        top_k=4,
        progress=lambda done, total, qid: seen.append((done, total, qid)),
    )
    assert seen == [(1, 3, "a"), (2, 3, "b"), (3, 3, "c")]
    assert [a["generator"] for a in fake.asked] == ["extractive"] * 3 and fake.asked[0]["top_k"] == 4
    first, second, third = run.records
    assert first.ranking_from == "answer" and first.ranking == ["z.md", "a.md"]
    assert first.citations[0].support.endswith("CNCF 成立于 2015 年 7 月，隶属于 Linux 基金会")  # chunk text joined
    assert second.ranking_from == "search" and len(second.ranking) == SEARCH_DEPTH
    assert (Q_NO_HITS.question, SEARCH_DEPTH) in fake.searched
    assert third.error == "the model server is down" and third.answer == ""


def test_scores_and_summary_are_computed_from_the_records() -> None:
    run = run_eval(engine, [Q_ANSWERED, Q_NO_HITS, Q_BROKEN])  # a factory works as well as an engine
    by_id = {s.id: s for s in run.scores}
    assert by_id["a"].passed and by_id["a"].values["mrr"] == 0.5
    assert by_id["b"].failures == ["source not in top 5: b.md", "refused an answerable question"]
    assert by_id["c"].failures[0] == "engine error: the model server is down"
    assert run.summary["questions"] == 3 and run.summary["passed"] == 1
    assert run.latency_ms["total"]["n"] == 2  # the failed question has no timings
    data = run.to_json()
    assert data["metrics"]["passed"] == 1
    assert [q["id"] for q in data["questions"]] == ["a", "b", "c"]
    assert data["questions"][1]["failures"] == by_id["b"].failures


def test_expected_posts_missing_from_the_index_are_reported() -> None:
    fake = engine()
    fake.index = type("Index", (), {"posts": {"a.md": None, "z.md": None}})()  # type: ignore[attr-defined]
    run = run_eval(fake, [Q_ANSWERED, question("d", sources=["typo.md"], text=Q_ANSWERED.question)])
    assert run.warnings == ["question d: expected post 'typo.md' matches no indexed post"]
    assert "expected post not in the index: typo.md" in run.scores[1].failures
