"""The bundled question set must stay honest: every expected fact is really in the posts it names."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rag.config import SAMPLE_POSTS_DIR
from rag.evaluation.matching import normalise_text, same_post
from rag.evaluation.questions import Question, load_questions

SAMPLE = Path(__file__).resolve().parents[2] / "eval" / "questions" / "sample.jsonl"
QUESTIONS = load_questions(SAMPLE)
POSTS = {p.name: normalise_text(p.read_text(encoding="utf-8")) for p in SAMPLE_POSTS_DIR.iterdir()}


def named_posts(q: Question) -> list[str]:
    return [name for name in POSTS if any(same_post(s, name) for s in q.sources)]


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


@pytest.mark.parametrize("q", [q for q in QUESTIONS if q.answerable], ids=lambda q: q.id)
def test_every_fact_is_in_a_named_post(q: Question) -> None:
    posts = named_posts(q)
    assert len(posts) == len(q.sources), f"{q.id}: some sources match no bundled post"
    for item in q.answer_contains:
        alternatives = [normalise_text(a) for a in item.split("|")]
        assert any(a in POSTS[p] for a in alternatives for p in posts), f"{q.id}: {item!r} is in none of {posts}"


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
