"""Every registered question set must stay honest: its sources exist and every expected fact is in them.

The registry eval/corpora.json names each dev corpus (its posts folder, an optional subset file and
its question file); the checks below run for every entry, so a set added there is checked too.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rag.config import SAMPLE_POSTS_DIR
from rag.evaluation.matching import normalise_text, same_post
from rag.evaluation.questions import Question, load_questions

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "eval" / "corpora.json"
CORPORA: dict[str, dict[str, Any]] = json.loads(REGISTRY.read_text(encoding="utf-8"))["corpora"]
ENTRY_KEYS = {"posts", "questions", "subset"}

SAMPLE = ROOT / "eval" / "questions" / "sample.jsonl"
QUESTIONS = load_questions(SAMPLE)
POSTS = {p.name: normalise_text(p.read_text(encoding="utf-8")) for p in SAMPLE_POSTS_DIR.iterdir()}


# --- every registered corpus ----------------------------------------------------------------------


def registered_path(name: str, key: str) -> Path:
    """An entry's path (relative to the repository root), failing clearly when it is not there."""
    path = ROOT / CORPORA[name][key]
    what = {"posts": "posts folder", "questions": "question set", "subset": "subset file"}[key]
    if key == "posts" and not path.exists() and not path.resolve().is_relative_to(ROOT):
        # The shared corpora live beside the repository (../shared), not in it; as for the other
        # tests that read them, a machine without them cannot check them. Anything in the
        # repository that is registered must exist.
        pytest.skip(f"corpus {name!r}: {path.resolve()} (outside the repository) is not on this machine")
    assert path.exists(), (
        f"corpus {name!r}: the {what} {CORPORA[name][key]} ({path.resolve()}) registered in "
        f"{REGISTRY.relative_to(ROOT)} does not exist on this branch"
    )
    return path


def questions_of(name: str) -> list[Question]:
    return load_questions(registered_path(name, "questions"))


def post_names(name: str) -> list[str]:
    """The corpus's post paths relative to its folder: the subset's lines, or every file in the folder."""
    folder = registered_path(name, "posts")
    assert folder.is_dir(), f"corpus {name!r}: {folder.resolve()} is not a folder"
    if "subset" not in CORPORA[name]:
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    lines = registered_path(name, "subset").read_text(encoding="utf-8").splitlines()
    listed = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    missing = [n for n in listed if not (folder / n).is_file()]
    assert not missing, f"corpus {name!r}: subset files missing from {folder.resolve()}: {missing}"
    return listed


def matching_posts(source: str, names: list[str]) -> list[str]:
    return [n for n in names if same_post(source, n)]


def post_text(name: str, post: str) -> str:
    return normalise_text((ROOT / CORPORA[name]["posts"] / post).read_text(encoding="utf-8"))


def report(name: str, problems: list[str]) -> str:
    return f"corpus {name!r} ({CORPORA[name]['questions']}):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_the_registry_entry_is_well_formed(name: str) -> None:
    entry = CORPORA[name]
    assert {"posts", "questions"} <= set(entry) <= ENTRY_KEYS, f"corpus {name!r}: keys {sorted(entry)}"
    registered_path(name, "posts")
    if "subset" in entry:
        registered_path(name, "subset")


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_the_question_set_loads_with_unique_ids(name: str) -> None:
    questions = questions_of(name)  # load_questions rejects duplicates itself; say it here too
    repeated = [i for i, n in Counter(q.id for q in questions).items() if n > 1]
    assert not repeated, report(name, [f"repeated ids {repeated}"])


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_every_source_is_one_post_of_the_corpus(name: str) -> None:
    names, problems = post_names(name), []
    for q in questions_of(name):
        for source in q.sources:
            found = matching_posts(source, names)
            if len(found) != 1:
                problems.append(f"{q.id}: source {source!r} matches {found or 'no post'}")
    assert not problems, report(name, problems)


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_every_fact_is_in_a_source_post(name: str) -> None:
    names, problems = post_names(name), []
    for q in questions_of(name):
        posts = [p for s in q.sources for p in matching_posts(s, names)]
        texts = [post_text(name, p) for p in posts]
        for item in q.answer_contains:
            alternatives = [normalise_text(a) for a in item.split("|") if a.strip()]
            if not any(a in text for a in alternatives for text in texts):
                problems.append(f"{q.id}: {item!r} is in none of {posts}")
    assert not problems, report(name, problems)


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_unanswerable_questions_expect_no_facts(name: str) -> None:
    problems = [
        f"{q.id}: {'no sources but facts' if not q.answerable else 'kind unanswerable but has sources'}"
        for q in questions_of(name)
        if (not q.answerable and q.answer_contains) or (q.kind == "unanswerable" and q.sources)
    ]
    assert not problems, report(name, problems)


def test_a_missing_posts_folder_fails_with_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CORPORA, "gone", {"posts": "eval/no-such-corpus", "questions": "eval/questions/sample.jsonl"})
    with pytest.raises(
        AssertionError, match=r"corpus 'gone': the posts folder eval/no-such-corpus \(/.*no-such-corpus\)"
    ):
        post_names("gone")


# --- the bundled sample set -----------------------------------------------------------------------


def test_the_set_covers_every_kind() -> None:
    kinds = Counter(q.kind for q in QUESTIONS)
    assert len(QUESTIONS) >= 40
    assert kinds["english"] >= 10 and kinds["multi-post"] >= 3 and kinds["unanswerable"] >= 5
    assert kinds["conflict"] >= 1 and kinds["factual"] and kinds["list"]
    assert all(not q.sources and not q.answer_contains for q in QUESTIONS if q.kind == "unanswerable")
    assert all(len(q.sources) >= 2 for q in QUESTIONS if q.kind in ("multi-post", "conflict"))


def test_the_toc_seats_conflict_names_both_versions() -> None:
    conflict = [q for q in QUESTIONS if q.kind == "conflict"]
    assert any({"001_3e8a50fa446efe54.txt", "002_d419b0ea7be1a919.txt"} <= set(q.sources) for q in conflict)


# Facts a careless answer might invent: the posts mention the person or thing but never say this.
# (question id -> (name, words that would carry the fact if it were stated near the name))
ABSENT = {
    "zhang-university": ("张磊", ["大学", "毕业", "就读", "学院"]),
    "wang-born": ("王泽锋", ["出生", "生于", "岁"]),
    "lixiang-born": ("李响", ["出生", "生于", "岁"]),
    "zhou-employer": ("周小四", ["公司", "任职", "就职", "CEO", "青云"]),
    "karmada-first-release": ("Karmada", ["版本", "发布", "release"]),
    "cto-since": ("Aniszczyk", ["担任", "上任", "成为", "since"]),
    "en-kubecon-attendance": ("North America 2025", ["参会", "人次", "参与者", "attendees"]),
}
WINDOW = 40  # characters either side of the name, after whitespace is removed


@pytest.mark.parametrize("ident", sorted(ABSENT))
def test_unanswerable_facts_are_absent(ident: str) -> None:
    assert ident in {q.id for q in QUESTIONS if not q.answerable}
    name, words = ABSENT[ident]
    name = normalise_text(name)
    assert any(name in text for text in POSTS.values()), f"{ident}: the posts should mention {name}"
    for post, text in POSTS.items():
        for around in _around(text, name):
            found = [w for w in words if normalise_text(w) in around]
            assert not found, f"{ident}: {found} next to {name} in {post}: {around}"


def _around(text: str, name: str) -> list[str]:
    spans, start = [], text.find(name)
    while start != -1:
        spans.append(text[max(0, start - WINDOW) : start + len(name) + WINDOW])
        start = text.find(name, start + 1)
    return spans
