"""Insights on a generated log of a few thousand questions: rates, latency, per day, the most-cited
posts, and coverage gaps — a planted topic the posts never cover comes out on top with its examples."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rag.cli import app
from rag.config import Settings
from rag.errors import InputError
from rag.insights.export import gaps_csv, sparkline
from rag.insights.gaps import GapFinder, GapQuestion
from rag.insights.report import Insights, build_insights, parse_since
from rag.insights.sqlite import SqliteQuestionLog
from rag.pipeline import Engine, ingest
from tests.insights.generate import NOW, PRINTER, SOURDOUGH, UNHELPFUL, generate_log
from tests.support.samples import P003

runner = CliRunner()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    settings = Settings(index_dir=tmp_path_factory.mktemp("insights") / "index", embedder="hashing")
    ingest(settings)
    return Engine(settings)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated log, written through the real SQLite log."""
    db = tmp_path_factory.mktemp("log") / "q.sqlite"
    log = SqliteQuestionLog(db)
    entries, feedback = generate_log()
    for item in entries:
        log.record(item)
    for vote in feedback:
        log.add_feedback(vote)
    log.close()
    return db


@pytest.fixture(scope="module")
def insights(logged: Path, engine: Engine) -> Insights:
    log = SqliteQuestionLog(logged)
    since = NOW - timedelta(days=30)
    entries, feedback = log.entries(since), log.feedback(since)
    assert len(entries) > 2500  # a few thousand questions
    return build_insights(
        entries, feedback, since, NOW, engine.index.posts, GapFinder(engine.embedder, engine.retriever)
    )


def is_about(question: str, topic: list[str]) -> bool:
    return any(question.endswith(original) for original in topic)


def test_the_planted_topic_is_the_top_gap_with_its_examples(insights: Insights) -> None:
    top = insights.gaps[0]
    assert is_about(top.label, SOURDOUGH)
    assert len(top.examples) >= 3 and all(is_about(q, SOURDOUGH) for q in top.examples)
    assert top.refused == top.count and top.count >= 100
    assert {"sourdough"} & set(top.terms) or {"酸", "面包"} & set(top.terms)
    assert top.closest and {"source", "title", "score"} <= set(top.closest[0])
    # Every topic is one subject: no topic mixes the planted topics, nor them with the rated-down one.
    subjects = (SOURDOUGH, PRINTER, UNHELPFUL)
    for topic in insights.gaps:
        assert sum(any(is_about(q, s) for q in topic.examples) for s in subjects) == 1, topic.examples
    printer = [t for t in insights.gaps if is_about(t.label, PRINTER)]
    assert printer and printer[0].refused == printer[0].count
    downvoted = [t for t in insights.gaps if is_about(t.label, UNHELPFUL)]
    assert downvoted and downvoted[0].unhelpful == downvoted[0].count and downvoted[0].refused == 0
    assert "kubesphere" in downvoted[0].terms  # as readers wrote it, not the keyword stem "kubespher"
    assert all(t.count >= 2 for t in insights.gaps)  # one-off noise questions are not topics
    assert [t.count for t in insights.gaps] == sorted((t.count for t in insights.gaps), reverse=True)


def test_rates_latency_and_days_match_the_log(logged: Path, insights: Insights) -> None:
    entries, feedback = generate_log()
    assert insights.questions == len(entries)
    assert insights.refused == sum(e.refused for e in entries)
    assert insights.refusal_rate == pytest.approx(insights.refused / len(entries))
    assert insights.feedback == len(feedback) and insights.helpful == sum(v.helpful for v in feedback)
    latencies = [e.latency_ms for e in entries]
    assert insights.latency_ms["p50"] == pytest.approx(np.percentile(latencies, 50), abs=0.05)
    assert insights.latency_ms["p95"] == pytest.approx(np.percentile(latencies, 95), abs=0.05)
    days = [d["day"] for d in insights.per_day]
    assert days[0] == (NOW - timedelta(days=30)).date().isoformat() and days[-1] == NOW.date().isoformat()
    assert len(days) == 31 and sum(d["questions"] for d in insights.per_day) == len(entries)
    assert insights.per_day[0]["questions"] == 0  # the log starts 28 days back: empty days are shown
    cited = Counter(s for e in entries for s in e.sources)
    assert insights.most_cited[0]["citations"] == cited.most_common(1)[0][1]
    assert insights.most_cited[0]["title"] != insights.most_cited[0]["source"]  # titled from the index
    assert any(post["source"] == P003 for post in insights.most_cited)


def test_gaps_csv_has_one_row_per_topic(insights: Insights) -> None:
    rows = list(csv.DictReader(io.StringIO(gaps_csv(insights))))
    assert len(rows) == len(insights.gaps)
    assert rows[0]["rank"] == "1" and rows[0]["label"] == insights.gaps[0].label
    assert rows[0]["examples"].split(" | ") == insights.gaps[0].examples


def test_cli_json_shape_and_csv_export(logged: Path, engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "gaps.csv"
    args = ["insights", "--since", "2026-11-01", "--json", "--csv", str(out)]
    result = runner.invoke(app, [*args, "--db", f"sqlite:///{logged}", "--index", str(engine.settings.index_dir)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "since",
        "until",
        "questions",
        "refused",
        "refusal_rate",
        "feedback",
        "helpful",
        "helpful_rate",
        "latency_ms",
        "per_day",
        "most_cited",
        "gaps",
        "gaps_note",
    }
    assert data["since"] == "2026-11-01T00:00:00+00:00" and set(data["latency_ms"]) == {"p50", "p95"}
    assert set(data["per_day"][0]) == {"day", "questions", "refused"}
    assert set(data["most_cited"][0]) == {"source", "title", "url", "citations"}
    gap = data["gaps"][0]
    assert set(gap) == {"label", "terms", "count", "refused", "unhelpful", "examples", "closest"}
    assert is_about(gap["label"], SOURDOUGH)
    assert next(csv.DictReader(out.open(encoding="utf-8")))["label"] == gap["label"]


def test_cli_text_output_and_errors(logged: Path, engine: Engine, tmp_path: Path) -> None:
    index = ["--index", str(engine.settings.index_dir)]
    result = runner.invoke(app, ["insights", "--since", "all", "--db", str(logged), *index])
    assert result.exit_code == 0, result.output
    assert "Coverage gaps" in result.stdout and "sourdough" in result.stdout and "refused" in result.stdout
    missing = runner.invoke(app, ["insights", "--db", str(tmp_path / "none.sqlite"), *index])
    assert missing.exit_code == 12 and "no question log" in missing.output.lower()
    assert not (tmp_path / "none.sqlite").exists()
    bad = runner.invoke(app, ["insights", "--since", "lately", "--db", str(logged), *index])
    assert bad.exit_code == 2 and "30d" in bad.output


def test_without_an_index_the_rest_is_still_reported(logged: Path, tmp_path: Path) -> None:
    args = ["insights", "--since", "all", "--json", "--db", str(logged), "--index", str(tmp_path / "nothing")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["questions"] > 2500 and data["gaps"] == [] and "index" in data["gaps_note"].lower()


def test_parse_since_and_sparkline() -> None:
    assert parse_since("30d", NOW) == NOW - timedelta(days=30)
    assert parse_since("12h", NOW) == NOW - timedelta(hours=12)
    assert parse_since("2w", NOW) == NOW - timedelta(weeks=2)
    assert parse_since("all", NOW) is None
    assert parse_since("2026-11-05", NOW).isoformat() == "2026-11-05T00:00:00+00:00"  # type: ignore[union-attr]
    with pytest.raises(InputError, match="lately"):
        parse_since("lately", NOW)
    assert sparkline([0, 1, 4, 8]) == " ▁▄█" and sparkline([0, 0]) == "  "


def test_one_gap_question_and_none(engine: Engine) -> None:
    finder = GapFinder(engine.embedder, engine.retriever)
    assert finder.find([]) == []
    [topic] = finder.find([GapQuestion("How do I tune a piano?", True)] * 3)
    assert topic.count == 3 and topic.examples == ["How do I tune a piano?"]
    assert finder.find([GapQuestion("How do I tune a piano?", True)]) == []  # asked once: not a topic yet


def test_question_vectors_are_kept_between_pages(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    finder = GapFinder(engine.embedder, engine.retriever)
    questions = [GapQuestion(f"How do I tune a piano, take {n}?", True) for n in range(5)] * 2
    first = finder.find(questions)
    embedded: list[str] = []
    real = engine.embedder.embed_passages
    monkeypatch.setattr(engine.embedder, "embed_passages", lambda texts: embedded.extend(texts) or real(texts))
    assert finder.find(questions) == first and embedded == []  # the second page embeds nothing
    monkeypatch.setattr("rag.insights.gaps.VECTOR_CACHE", 3)  # a cache too small: still right, not kept
    fresh = [GapQuestion(f"Where do I buy piano strings, shop {n}?", True) for n in range(4)] * 2 + questions[:2]
    assert sum(t.count for t in finder.find(fresh)) == 10 and len(embedded) == 4


@pytest.mark.slow
def test_with_the_default_embedder_topics_cross_languages(real_engine: Engine) -> None:
    """The cut is measured per embedder: with multilingual e5 the same topic asked in English and in
    Chinese is one gap (the hashing embedder, words only, keeps them apart)."""
    entries, feedback = generate_log()
    finder = GapFinder(real_engine.embedder, real_engine.retriever)
    insights = build_insights(entries, feedback, None, NOW, real_engine.index.posts, finder)
    assert is_about(insights.gaps[0].label, SOURDOUGH)
    printer = [t for t in insights.gaps if any(is_about(q, PRINTER) for q in t.examples)]
    asked = sum(any(e.question.endswith(q) for q in PRINTER) for e in entries)
    assert len(printer) == 1 and printer[0].count == asked  # "打印机驱动怎么安装？" included
    downvoted = [t for t in insights.gaps if t.unhelpful]
    assert len(downvoted) == 1 and downvoted[0].count == downvoted[0].unhelpful == 60
