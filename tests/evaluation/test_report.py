from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from rag.evaluation.ragas import NO_ANSWER, RAGAS_COLUMNS, ragas_rows
from rag.evaluation.report import results_json, write_report
from rag.evaluation.runner import EvalRun, run_eval

from .fakes import FakeEngine, make_answer, make_citation, make_hit, question

EVIL = "<script>alert('x')</script> 有多少个席位？"
Q_EVIL = question("evil", sources=["a.md"], facts=["11 个"], text=EVIL)
Q_OK = question("ok", sources=["a.md"], facts=["2015|二〇一五"], text="CNCF 成立于哪一年？")
Q_NONE = question("none", sources=[], kind="unanswerable", text="张磊毕业于哪所大学？")


def runs() -> list[EvalRun]:
    hits = [make_hit("a.md", "CNCF 成立于 2015 年 <b>7 月</b>"), make_hit("b.md", "无关 & 其他")]
    answers = {
        EVIL: make_answer("<img src=x onerror=alert(1)> 不知道 [1]", [make_citation(1, "b.md", "无关")], hits),
        Q_OK.question: make_answer("CNCF 成立于 2015 年。[1]", [make_citation(1, "a.md", "CNCF 成立于 2015 年")], hits),
        Q_NONE.question: make_answer("这些文章没有提供。", refused=True, hits=hits, timings={"total": 9.0}),
    }
    worse = dict(answers)
    worse[Q_OK.question] = make_answer("不知道", refused=True, hits=hits)
    questions = [Q_EVIL, Q_OK, Q_NONE]
    return [
        run_eval(FakeEngine(answers), questions, name="baseline"),
        run_eval(FakeEngine(worse), questions, name="generator=other"),
    ]


def test_report_files_and_escaping(tmp_path: Path) -> None:
    written = write_report(runs(), tmp_path / "out", {"questions_file": "q.jsonl"})
    names = {p.name for p in written}
    assert {"report.md", "report.html", "results.json", "ragas.jsonl", "ragas-generator-other.jsonl"} <= names
    assert {"metrics.png", "latency.png", "kinds.png"} <= names
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "<img src=x" not in page and "<b>7" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3 and all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert 'src="http' not in page and "<link" not in page  # self-contained
    assert "Side by side" in page and "refused an answerable question" in page


def test_markdown_report_tables(tmp_path: Path) -> None:
    write_report(runs(), tmp_path)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| metric | baseline | generator=other | Δ generator=other |" in text
    assert "| answer_contains | 0.500 | 0.000 | -0.500 |" in text
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert "![Metrics per configuration](metrics.png)" in text
    assert "missing fact: 11 个" in text and "cited a wrong post: b.md" in text


def test_results_json_is_what_the_report_shows(tmp_path: Path) -> None:
    both = runs()
    write_report(both, tmp_path, {"questions_file": "q.jsonl"})
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    fresh = results_json(both, saved["meta"])
    assert saved == json.loads(json.dumps(fresh, ensure_ascii=False))
    assert saved["name"] == "baseline" and saved["compare"][0]["name"] == "generator=other"
    assert saved["metrics"]["answer_contains"] == 0.5


def test_ragas_export_columns(tmp_path: Path) -> None:
    run = runs()[0]
    rows = ragas_rows(run)
    assert all(tuple(row) == RAGAS_COLUMNS for row in rows)
    assert rows[1]["contexts"] == ["CNCF 成立于 2015 年 <b>7 月</b>", "无关 & 其他"]
    assert rows[1]["ground_truth"] == "2015 / 二〇一五"
    assert rows[2]["ground_truth"] == NO_ANSWER
    write_report([run], tmp_path)
    lines = (tmp_path / "ragas.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows
