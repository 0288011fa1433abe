from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import IndexNotFoundError, InputError
from rag.evaluation.configs import EvalConfig, compare_index_dir, parse_compare, prepare


def test_a_repeated_key_starts_a_new_configuration() -> None:
    configs = parse_compare(["generator=extractive,generator=openai:gpt-4o-mini", "embedder=hashing,chunk_tokens=200"])
    assert [c.overrides for c in configs] == [
        {"generator": "extractive"},
        {"generator": "openai:gpt-4o-mini"},
        {"embedder": "hashing", "chunk_tokens": 200},
    ]
    assert configs[2].name == "embedder=hashing,chunk_tokens=200"
    assert parse_compare(["top-k=3"])[0].overrides == {"top_k": 3}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("colour=blue", "unknown key 'colour'"),
        ("top_k=three", "top_k must be a whole number"),
        ("generator", "not key=value"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_compare([spec])
    assert message in err.value.message and err.value.hint


def test_only_embedder_or_chunk_size_needs_another_index(tmp_path: Path) -> None:
    base = Settings(index_dir=tmp_path / "main", posts=[tmp_path], embedder="hashing")
    settings, own = prepare(base, EvalConfig("g", {"generator": "extractive", "top_k": 3}), None)
    assert not own and settings.index_dir == base.index_dir and settings.top_k == 3
    settings, own = prepare(base, EvalConfig("c", {"chunk_tokens": 100}), [tmp_path])
    assert own and settings.index_dir == compare_index_dir(base, EvalConfig("c")) and settings.chunk_tokens == 100
    assert settings.index_dir == (tmp_path / "main-compare-c").resolve()


def test_compare_needs_posts_when_the_main_index_is_missing(tmp_path: Path) -> None:
    base = Settings(index_dir=tmp_path / "main", posts=[tmp_path], embedder="hashing")
    with pytest.raises(IndexNotFoundError):  # no manifest to read the posts' roots from
        prepare(base, EvalConfig("e", {"embedder": "hashing:64"}), None)
