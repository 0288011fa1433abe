"""Every generator backend honours the same contract (the fake included): generate and stream
agree, cite with [n] inside the sources' range, and abstain with NO_ANSWER."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rag.config import Settings
from rag.generators.base import Generator, GeneratorContext, create_generator, is_no_answer
from rag.types import Chunk, Hit, Post
from tests.support.openai_server import base_url, openai_server

TEXT = "The CNCF TOC has eleven seats. It guides projects."
SOURCES = [
    Hit(
        Chunk("a.md#0", "a.md", 0, TEXT, "TOC", 0, len(TEXT), ""),
        Post(source="a.md", title="TOC facts", text=TEXT, language="en"),
        1.0,
    )
]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with openai_server() as server:
        yield base_url(server)


@pytest.fixture(params=["extractive", "scripted", "openai"])
def generator(request: pytest.FixtureRequest, server_url: str) -> Generator:
    settings = Settings(openai_base_url=server_url, llm_retries=0, llm_timeout=5)
    spec = {
        "extractive": "extractive",
        "scripted": "scripted:The CNCF TOC has eleven seats. [1]",
        "openai": "openai:echo",
    }[request.param]
    return create_generator(spec, GeneratorContext(settings))


def test_is_a_generator(generator: Generator) -> None:
    assert isinstance(generator, Generator)


def test_generate_cites_a_source_in_range(generator: Generator) -> None:
    draft = generator.generate("How many seats does the CNCF TOC have?", SOURCES)
    assert "eleven" in draft and "[1]" in draft
    assert "[2]" not in draft


def test_stream_matches_generate(generator: Generator) -> None:
    question = "How many seats does the CNCF TOC have?"
    pieces = list(generator.stream(question, SOURCES))
    assert len(pieces) >= 1
    assert "".join(pieces) == generator.generate(question, SOURCES)


def test_no_answer_sentinel() -> None:
    assert is_no_answer("NO_ANSWER") and is_no_answer(" **NO_ANSWER** ") and not is_no_answer("Eleven [1]")


def test_extractive_abstains_without_evidence() -> None:
    generator = create_generator("extractive", GeneratorContext(Settings()))
    assert is_no_answer(generator.generate("What is the capital of France?", SOURCES))
    assert is_no_answer(generator.generate("xxxxxxxx", SOURCES))
