"""`hashing[:dim]` — a deterministic fake embedder for fast tests and pipeline benchmarks.

Hashes keyword tokens and character bigrams into a fixed-size vector: no model, no semantics beyond
shared words, but stable across runs and processes.
"""

from __future__ import annotations

import hashlib

import numpy as np

from rag.embedders.base import normalise
from rag.errors import ConfigError
from rag.lexical import tokenize


class HashingEmbedder:
    max_tokens = 100_000
    dense_support = None  # hashed words carry no meaning across languages

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.spec = f"hashing:{dim}"

    def _features(self, text: str) -> list[str]:
        compact = "".join(text.lower().split())
        return tokenize(text) + [compact[i : i + 2] for i in range(len(compact) - 1)]

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for feature in self._features(text):
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        return vector

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(np.stack([self._vector(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._vector(text))[0]

    def count_tokens(self, text: str) -> int:
        return len(text)


def create(arg: str) -> HashingEmbedder:
    if not arg:
        return HashingEmbedder()
    if not arg.isdigit() or not 8 <= int(arg) <= 8192:
        raise ConfigError(f"Bad hashing dimension {arg!r}.", "Use e.g. 'hashing:256' (8..8192).")
    return HashingEmbedder(int(arg))
