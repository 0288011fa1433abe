"""The Generator role: question + numbered sources -> draft answer with [n] markers.

Backends are chosen by spec ("extractive", "openai:<model>", "llamacpp:<path>", "scripted:...").
A generator that finds no answer in the sources returns text starting with NO_ANSWER; the pipeline
turns that into a refusal in the question's language.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from rag.config import Settings
from rag.errors import ConfigError
from rag.types import Hit

NO_ANSWER = "NO_ANSWER"


@dataclass
class GeneratorContext:
    """What a backend may need beyond its spec argument; built by the pipeline."""

    settings: Settings | None = None
    # Corpus rarity of a keyword token; None when no post contains it at all.
    idf: Callable[[str], float | None] = lambda term: 1.0
    embed_texts: Callable[[list[str]], Any] | None = None  # passage vectors, for cross-lingual scoring
    embed_query: Callable[[str], Any] | None = None
    # The index's chunk vectors (one row per chunk) and a chunk's own vector: dense similarity is
    # judged against the query's background over the whole index.
    vectors: Any = None
    chunk_vector: Callable[[str], Any] | None = None
    # A term's words in the other language (English <-> Chinese), for questions across languages.
    translate: Callable[[str], tuple[str, ...]] | None = None


@runtime_checkable
class Generator(Protocol):
    spec: str

    def generate(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> str:
        """The whole draft: sentences followed by [n], n = 1-based position in `sources`."""
        ...

    def stream(self, question: str, sources: list[Hit], history: list[dict[str, str]] | None = None) -> Iterator[str]:
        """The same draft in pieces as they are produced."""
        ...


BACKENDS = {
    "extractive": "extractive",
    "openai": "openai",
    "llamacpp": "llamacpp",
    "scripted": "scripted",
}


def create_generator(spec: str, context: GeneratorContext | None = None) -> Generator:
    prefix, _, arg = spec.strip().partition(":")
    if prefix.lower() not in BACKENDS:
        raise ConfigError(
            f"Unknown generator spec {spec!r}.",
            "Use 'extractive' (default, no model), 'openai:<model>' (any OpenAI-compatible server), "
            "or 'llamacpp:<path to .gguf>'.",
        )
    module = importlib.import_module(f"rag.generators.{BACKENDS[prefix.lower()]}")
    generator: Generator = module.create(arg.strip(), context or GeneratorContext())
    return generator


def is_no_answer(draft: str) -> bool:
    return draft.strip().strip("[]*` ").upper().startswith(NO_ANSWER)
