from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.evaluation.questions import load_questions

GOOD = {"id": "q1", "question": "CNCF 成立于哪一年？", "sources": ["a.md"], "answer_contains": ["2015"]}


def write_jsonl(path: Path, rows: Sequence[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


def test_loads_jsonl_with_defaults(tmp_path: Path) -> None:
    rows = [GOOD, "", {**GOOD, "id": "q2", "sources": [], "answer_contains": [], "kind": "unanswerable"}]
    questions = load_questions(write_jsonl(tmp_path / "q.jsonl", rows))
    assert [q.id for q in questions] == ["q1", "q2"]
    assert questions[0].kind == "general" and questions[0].answerable
    assert questions[1].kind == "unanswerable" and not questions[1].answerable
    assert questions[0].where.endswith("q.jsonl:1") and questions[1].where.endswith("q.jsonl:3")


def test_loads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "questions:\n"
        "  - id: toc\n    question: CNCF TOC 有多少个席位？\n    sources: [001.txt, 002.txt]\n"
        "    answer_contains: ['11 个|11 位']\n    reference: 说法不一\n    kind: conflict\n",
        encoding="utf-8",
    )
    [q] = load_questions(path)
    assert q.sources == ["001.txt", "002.txt"] and q.answer_contains == ["11 个|11 位"]
    assert q.reference == "说法不一" and q.kind == "conflict"


def test_broken_json_line_is_named(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "q.jsonl", [GOOD, '{"id": "q2", "question": "x",}'])
    with pytest.raises(InputError) as err:
        load_questions(path)
    assert "q.jsonl:2 is not valid JSON" in err.value.message
    assert err.value.hint


def test_missing_fields_are_listed(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "q.jsonl", [{"id": "q1", "question": "x"}])
    with pytest.raises(InputError, match=r"q.jsonl:1: missing field\(s\) sources, answer_contains"):
        load_questions(path)


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "q.jsonl", [GOOD, {**GOOD, "question": "again"}])
    with pytest.raises(InputError, match=r"Duplicate question id 'q1' at .*q.jsonl:1 and .*q.jsonl:2"):
        load_questions(path)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({**GOOD, "sources": "a.md"}, "sources must be a list of non-empty strings"),
        ({**GOOD, "answer_contains": ["ok", ""]}, "answer_contains must be a list of non-empty strings"),
        ({**GOOD, "question": "  "}, "question must be a non-empty string"),
        ({**GOOD, "answer_contain": []}, "unknown field(s) answer_contain"),
        (["not", "an", "object"], "a question must be an object"),
    ],
)
def test_bad_values(tmp_path: Path, row: object, message: str) -> None:
    with pytest.raises(InputError) as err:
        load_questions(write_jsonl(tmp_path / "q.jsonl", [row]))
    assert message in err.value.message


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_questions(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(InputError, match="holds no questions"):
        load_questions(tmp_path / "empty.jsonl")


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "q.yml"
    path.write_text("- id: a\n  question: [unclosed\n")
    with pytest.raises(InputError, match=r"q.yml:\d+ is not valid YAML"):
        load_questions(path)
