"""API test fixtures: one hashing-embedder index over the test corpus, apps and clients built on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.config import Settings
from rag.pipeline import ingest
from tests.api.helpers import ClientFactory, build_corpus


@pytest.fixture(scope="session")
def api_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("api") / "posts")


@pytest.fixture(scope="session")
def api_settings(api_corpus: Path) -> Settings:
    """Settings over a read-only shared index (tests that reindex build their own)."""
    settings = Settings(
        index_dir=api_corpus.parent / "index", posts=[api_corpus], embedder="hashing", rate_limit_per_minute=0
    )
    ingest(settings)
    return settings


@pytest.fixture()
def make_client(api_settings: Settings) -> Iterator[ClientFactory]:
    """TestClient factory: `make_client(api_key="k")` runs a fresh app (lifespan included) on changed settings."""
    clients: list[TestClient] = []

    def factory(**overrides: Any) -> TestClient:
        client = TestClient(create_app(api_settings.model_copy(update=overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture()
def client(make_client: ClientFactory) -> TestClient:
    return make_client()
