"""Author keys resolved through an authors file in the posts root (Docusaurus `authors.yml`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.loading import load_post, load_posts
from rag.loading.authors import read_author_names, resolve_author_keys

BLOG = Path(__file__).parents[1] / "fixtures" / "docusaurus_blog"
POST = '---\ntitle: "T"\nauthors: KEYS\n---\n\nBody text.\n'


def test_load_posts_resolves_keys_to_names() -> None:
    posts, skipped = load_posts([BLOG])
    authors = {post.source: post.author for post in posts}
    assert skipped == []
    assert authors == {
        "release.md": "Ann Example, Bob Sample",
        # unknown keys and entries without a name stay as written; inline tables keep working
        "2024/case-study.md": "Bob Sample, guest-writer, nameless, Inline Person",
        "2024/singular.md": "ann",  # `author` (singular) is a name, not a key
    }


def test_load_post_reads_the_authors_file_of_its_root() -> None:
    assert load_post(BLOG / "release.md", BLOG).author == "Ann Example, Bob Sample"
    assert load_post(BLOG / "release.md", BLOG, authors={}).author == "ann, bob"


def test_read_author_names_keeps_entries_with_a_name() -> None:
    assert read_author_names(BLOG) == {"ann": "Ann Example", "bob": "Bob Sample"}


def test_a_single_key_string_and_the_yaml_spelling(tmp_path: Path) -> None:
    (tmp_path / "authors.yaml").write_text("ann: {name: Ann Example}\n", encoding="utf-8")
    (tmp_path / "p.md").write_text(POST.replace("KEYS", "ann"), encoding="utf-8")
    assert load_post(tmp_path / "p.md", tmp_path).author == "Ann Example"


@pytest.mark.parametrize("content", ["ann: [unclosed\n", "- just\n- a list\n", ""])
def test_a_broken_or_odd_authors_file_resolves_nothing(tmp_path: Path, content: str) -> None:
    (tmp_path / "authors.yml").write_text(content, encoding="utf-8")
    (tmp_path / "p.md").write_text(POST.replace("KEYS", '["ann"]'), encoding="utf-8")
    posts, skipped = load_posts([tmp_path])
    assert skipped == []
    assert [post.author for post in posts] == ["ann"]


def test_no_authors_file_leaves_metadata_alone(tmp_path: Path) -> None:
    meta = {"authors": ["ann"], "title": "T"}
    assert read_author_names(tmp_path) == {}
    assert resolve_author_keys(meta, {}) is meta
    assert resolve_author_keys({"title": "T"}, {"ann": "Ann"}) == {"title": "T"}
