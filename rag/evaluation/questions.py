"""Question sets for `rag eval`: JSONL (one object a line) or YAML (a list, or a mapping with `questions`).

Each question names the posts that answer it (`sources`, paths relative to the ingested folder; a bare
file name or stem is enough) and the facts a good answer contains (`answer_contains`, each item
`"fact"` or `"alt1|alt2"`). `sources: []` marks a question the posts cannot answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import InputError

REQUIRED = ("id", "question", "sources", "answer_contains")
OPTIONAL = ("reference", "kind", "notes")
DEFAULT_KIND = "general"
FORMAT_HINT = (
    'Each question needs {"id": "q1", "question": "...", "sources": ["post.md"], '
    '"answer_contains": ["fact", "alt1|alt2"]} and may add "reference" and "kind".'
)


@dataclass
class Question:
    id: str
    question: str
    sources: list[str]  # expected posts; [] = the posts cannot answer it
    answer_contains: list[str]  # each item must appear in the answer; "a|b" = either
    reference: str | None = None
    kind: str = DEFAULT_KIND
    where: str = field(default="", compare=False)  # "file:line" for error messages

    @property
    def answerable(self) -> bool:
        return bool(self.sources)


def load_questions(path: Path) -> list[Question]:
    """Read and validate a question file; raises InputError naming the file and line of any problem."""
    if not path.is_file():
        raise InputError(f"Question file {path} does not exist.", "Pass a .jsonl or .yaml question file.")
    text = path.read_text(encoding="utf-8-sig")
    is_yaml = path.suffix.lower() in (".yaml", ".yml")
    items = _yaml_items(text, path) if is_yaml else _jsonl_items(text, path)
    if not items:
        raise InputError(f"Question file {path} holds no questions.", FORMAT_HINT)
    questions = [_question(data, where) for where, data in items]
    _check_unique(questions)
    return questions


def _jsonl_items(text: str, path: Path) -> list[tuple[str, Any]]:
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append((f"{path}:{number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{number} is not valid JSON ({exc.msg} at column {exc.colno}).",
                "Write one complete JSON object per line (JSON Lines); no trailing commas or comments.",
            ) from None
    return items


def _yaml_items(text: str, path: Path) -> list[tuple[str, Any]]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"{where} is not valid YAML ({exc}).", "Fix the YAML syntax there.") from None
    if isinstance(data, dict) and "questions" in data:
        data = data["questions"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError(f"{path} must hold a list of questions.", "Write a YAML list, one mapping each.")
    return [(f"{path} item {i}", item) for i, item in enumerate(data, 1)]


def _question(data: Any, where: str) -> Question:
    if not isinstance(data, dict):
        raise InputError(f"{where}: a question must be an object, got {type(data).__name__}.", FORMAT_HINT)
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise InputError(f"{where}: missing field(s) {', '.join(missing)}.", FORMAT_HINT)
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise InputError(
            f"{where}: unknown field(s) {', '.join(unknown)}.",
            f"Allowed fields: {', '.join(REQUIRED + OPTIONAL)} (a typo in a field name?).",
        )
    ident = data["id"]
    if not isinstance(ident, str | int) or isinstance(ident, bool) or not str(ident).strip():
        raise InputError(f"{where}: id must be a non-empty string.", 'Use e.g. "id": "toc-seats".')
    return Question(
        id=str(ident).strip(),
        question=_text(data, "question", where),
        sources=_strings(data, "sources", where),
        answer_contains=_strings(data, "answer_contains", where),
        reference=_optional_text(data, "reference", where),
        kind=_optional_text(data, "kind", where) or DEFAULT_KIND,
        where=where,
    )


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: {key} must be a non-empty string.", FORMAT_HINT)
    return value.strip()


def _optional_text(data: dict[str, Any], key: str, where: str) -> str | None:
    if data.get(key) is None:
        return None
    return _text(data, key, where)


def _strings(data: dict[str, Any], key: str, where: str) -> list[str]:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(
            f"{where}: {key} must be a list of non-empty strings, got {json.dumps(value)}.",
            f'Write e.g. "{key}": ["..."]; use [] for none.',
        )
    return [v.strip() for v in value]


def _check_unique(questions: list[Question]) -> None:
    seen: dict[str, Question] = {}
    for question in questions:
        first = seen.setdefault(question.id, question)
        if first is not question:
            raise InputError(
                f"Duplicate question id {question.id!r} at {first.where} and {question.where}.",
                "Give every question its own id; reports and comparisons are keyed by it.",
            )
